-- Statuses recorded before `awaited` existed: a period not yet due was `late` ("Not delivered yet ...")
-- and a missed deadline was `unavailable` ("Not delivered by the deadline ..."). Renamed in place, current
-- status and history alike; idempotent (the reasons tell the old meanings apart). Dashboard quarters
-- computed before keep their rows until recomputed.
UPDATE audit.source_status SET status = 'awaited'
WHERE status = 'late' AND reason LIKE 'Not delivered yet%';
UPDATE audit.source_status SET status = 'late'
WHERE status = 'unavailable' AND reason LIKE 'Not delivered by the deadline%';
UPDATE audit.source_status_history SET status = 'awaited'
WHERE status = 'late' AND reason LIKE 'Not delivered yet%';
UPDATE audit.source_status_history SET status = 'late'
WHERE status = 'unavailable' AND reason LIKE 'Not delivered by the deadline%';
