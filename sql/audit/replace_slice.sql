-- Start replacing the (source, period) slice: runs first in the load transaction.
-- Bound: :source, :period, :load_batch_id.
DELETE FROM audit.load_batch WHERE load_batch_id = :load_batch_id;
DELETE FROM audit.completeness_result WHERE source = :source AND period = :period;
