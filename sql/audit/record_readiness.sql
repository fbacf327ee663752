-- A quarter's dashboard readiness: its one row, replaced; first_late_at is kept once set.
-- Bound: :quarter_label, :reporting_date, :state, :delivered, :excused, :missing, :missing_detail,
-- :excused_detail, :as_of, :checked_at, :first_late_at, :run_id.
INSERT INTO audit.dashboard_readiness AS r (quarter_label, reporting_date, state, delivered, excused, missing,
    missing_detail, excused_detail, as_of, checked_at, first_late_at, run_id)
VALUES (:quarter_label, :reporting_date, :state, :delivered, :excused, :missing, :missing_detail, :excused_detail,
    :as_of, :checked_at, :first_late_at, :run_id)
ON CONFLICT (quarter_label) DO UPDATE SET
    reporting_date = excluded.reporting_date,
    state = excluded.state,
    delivered = excluded.delivered,
    excused = excluded.excused,
    missing = excluded.missing,
    missing_detail = excluded.missing_detail,
    excused_detail = excluded.excused_detail,
    as_of = excluded.as_of,
    checked_at = excluded.checked_at,
    first_late_at = COALESCE(r.first_late_at, excluded.first_late_at),
    run_id = excluded.run_id;
