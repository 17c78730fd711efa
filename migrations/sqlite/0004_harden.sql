-- Drafts (暂存): records with status 'draft', seen only by their owner. "My drafts" reads them
-- by owner, last saved first, and the expiry sweep by their last save; both stay small.
CREATE INDEX records_drafts_idx ON records (owner_id, updated_at)
    WHERE status = 'draft' AND deleted_at IS NULL;
