-- Existing tasks get the middle priority.
ALTER TABLE tasks ADD COLUMN priority INTEGER NOT NULL DEFAULT 2;
