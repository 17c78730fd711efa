-- Locked results and change requests (变更): a change of an approved record runs as a process
-- instance of its own on the record, holding the proposed values (the changed fields only)
-- until it ends; the record keeps its approved values until the change is approved. NULL for
-- an instance that decides the record itself (a submission or a resubmission).
ALTER TABLE process_instances ADD COLUMN proposed_changes JSONB;
