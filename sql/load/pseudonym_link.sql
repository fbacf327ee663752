-- Carry one (source, period) slice's pseudonym links into core.pseudonym_link, in the slice's load transaction.
-- Bound: :source, :period. Idempotent: a link known already is left as it is.
-- A link ending at a pseudonym now superseded moves on to the current one (A -> B becomes A -> C when B -> C
-- arrives): every link ends at the latest pseudonym the person was seen under, one step away.
UPDATE core.pseudonym_link AS l
SET to_key_id = s.to_key_id, to_pseudonym = s.to_pseudonym, load_batch_id = s.load_batch_id
FROM staging.pseudonym_link AS s
WHERE s.source = :source AND s.period = :period AND l.to_pseudonym = s.from_pseudonym;

INSERT INTO core.pseudonym_link (from_pseudonym, from_key_id, to_pseudonym, to_key_id, load_batch_id)
SELECT DISTINCT s.from_pseudonym, s.from_key_id, s.to_pseudonym, s.to_key_id, s.load_batch_id
FROM staging.pseudonym_link AS s
WHERE s.source = :source AND s.period = :period
  AND NOT EXISTS (SELECT 1 FROM core.pseudonym_link AS l WHERE l.from_pseudonym = s.from_pseudonym);
