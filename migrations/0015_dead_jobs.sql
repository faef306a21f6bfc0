-- Jobs that gave up (failed for good, or abandoned by a worker on their last attempt), listed for
-- staff the latest first.
CREATE INDEX jobs_dead ON jobs (finished_at DESC) WHERE state = 'failed';
