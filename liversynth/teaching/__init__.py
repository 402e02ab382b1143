"""Teaching mode: quizzes for trainee radiologists and a reader study of realism (Qt-free).

A quiz is a folder a teacher can zip and send:

- ``quiz.json`` (:mod:`.quiz`): title, instructions, optional time limit, the items;
- ``items/item_001.nii.gz`` …: every item resampled to one spacing and cropped to one size,
  written with identical headers (:mod:`.item_io`), in a seeded shuffled order;
- ``key.json`` + ``key/`` (:mod:`.quiz`): the answer key and the lesion masks, which the
  trainee's copy does not contain (:func:`.quiz.write_trainee_copy`);
- ``answers-<name>.json`` (:mod:`.answers`): a trainee's answers, saved crash-safely.

:mod:`.build` makes a quiz from labelled cases, :mod:`.scoring` scores each item kind,
:mod:`.reader_study` computes the realism statistics, :mod:`.review` puts a class together and
:mod:`.report` writes the CSV and the one-page report.
"""
