-- Replica store, schema 3: what the app's task lists and offline deadline reminders need, derived
-- like the rest of `records`. Rows stored before this schema get the columns empty; the replica
-- rebuilds its derived rows when it applies this migration (Replica::open).

-- The task (任务) the record belongs to now (task::TaskKey::id), the person's standing in it as a
-- JSON task::Member (times of claim, answer, CDC judgement…), and the standing answer's outcome
-- codes joined by '/'.
ALTER TABLE records ADD COLUMN task_id TEXT;
ALTER TABLE records ADD COLUMN member TEXT;
ALTER TABLE records ADD COLUMN outcome TEXT;
CREATE INDEX records_by_task ON records (task_id) WHERE task_id IS NOT NULL;
