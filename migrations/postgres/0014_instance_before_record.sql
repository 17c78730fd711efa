-- A submission writes its process instance before its record (the record goes last, with the
-- number it takes just before, so the counter row stays locked only over the record's write
-- and the commit): the instance's reference to its record is checked at commit.
ALTER TABLE process_instances
    ALTER CONSTRAINT process_instances_record_id_fkey DEFERRABLE INITIALLY DEFERRED;
