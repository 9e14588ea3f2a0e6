"""CSV in and out: reader, importer engine, set-based writes, exports, and the three sources.

An import comes from the API (`api`), the admin (`admin`) or a management command (`command`);
all three run `engine.import_csv`.
"""
