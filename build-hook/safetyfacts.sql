-- safetyfacts.sql - the live facts of the safety check, in one query
-- (safetyfacts.c). Embedded into the program by meson as a C string; the
-- program prefixes it with the request's lists:
--   cfg(s, lx, fns)         the default schema, the "long transaction"
--                           threshold in seconds, the functions called in
--                           new defaults
--   want(i, nsp, rel, probe) the tables the migrations touch (probe: ask
--                           whether the table has a row)
--   ix(i, nsp, rel)         the indexes they drop or reindex
--   np(i, t, col)           the columns they make NOT NULL (t: a want.i)
-- Rows: the planner's estimate (reltuples; -1 before the first ANALYZE on
-- PostgreSQL 14+), else the statistics collector's live rows. Exact
-- probes run from text through query_to_xml, so a table that turns out to
-- be missing costs nothing and cannot fail the whole query.
, t AS (
  SELECT w.i, w.probe, c.oid, w.nsp, w.rel, c.relkind,
         c.reltuples::bigint AS est, s.n_live_tup AS live,
         pg_total_relation_size(c.oid) AS bytes, pg_relation_size(c.oid) AS heap
  FROM want w
  JOIN pg_namespace n ON n.nspname = w.nsp
  JOIN pg_class c ON c.relnamespace = n.oid AND c.relname = w.rel
   AND c.relkind IN ('r', 'p', 'm', 'v', 'f')
  LEFT JOIN pg_stat_user_tables s ON s.relid = c.oid
)
SELECT json_build_object(
  'server_version_num', current_setting('server_version_num')::int,
  'server_version', current_setting('server_version'),
  'can_read_all_stats', pg_has_role(current_user, 'pg_read_all_stats', 'USAGE'),
  'volatility', (SELECT json_object_agg(proname, v)
    FROM (SELECT proname, max(provolatile::text) AS v FROM pg_proc
          WHERE proname = ANY (fns) GROUP BY proname) f),
  'tables', (SELECT coalesce(json_agg(json_build_object(
    'i', t.i, 'schema', t.nsp, 'name', t.rel, 'kind', t.relkind,
    'rows', CASE WHEN t.est >= 0 THEN t.est ELSE t.live END,
    'bytes', t.bytes,
    'has_rows', CASE WHEN t.probe AND t.relkind IN ('r', 'p', 'm') THEN
      (xpath('/row/x/text()', query_to_xml(
        format('SELECT EXISTS (SELECT 1 FROM %I.%I) AS x', t.nsp, t.rel),
        false, true, '')))[1]::text::boolean END,
    'columns', (SELECT json_agg(json_build_object(
        'name', a.attname, 'type', format_type(a.atttypid, a.atttypmod),
        'not_null', a.attnotnull, 'default', pg_get_expr(d.adbin, d.adrelid),
        'null_frac', ps.null_frac) ORDER BY a.attnum)
      FROM pg_attribute a
      LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
      LEFT JOIN pg_stats ps ON ps.schemaname = t.nsp AND ps.tablename = t.rel
       AND ps.attname = a.attname
      WHERE a.attrelid = t.oid AND a.attnum > 0 AND NOT a.attisdropped),
    'indexes', (SELECT json_agg(json_build_object(
        'name', ic.relname, 'valid', i.indisvalid,
        'def', pg_get_indexdef(i.indexrelid)) ORDER BY ic.relname)
      FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid
      WHERE i.indrelid = t.oid),
    'checks', (SELECT json_agg(pg_get_constraintdef(co.oid))
      FROM pg_constraint co
      WHERE co.conrelid = t.oid AND co.contype = 'c' AND co.convalidated),
    'referenced_by', (SELECT json_agg(co.conrelid::regclass::text ORDER BY 1)
      FROM pg_constraint co
      WHERE co.confrelid = t.oid AND co.contype = 'f' AND co.conrelid <> t.oid),
    'views', (SELECT json_agg(DISTINCT v.oid::regclass::text)
      FROM pg_depend dep JOIN pg_rewrite r ON r.oid = dep.objid
      JOIN pg_class v ON v.oid = r.ev_class
      WHERE dep.refobjid = t.oid AND dep.classid = 'pg_rewrite'::regclass
        AND v.oid <> t.oid))), '[]') FROM t),
  'indexes', (SELECT coalesce(json_agg(json_build_object(
      'i', ix.i, 'schema', tn.nspname, 'table', tc.relname,
      'rows', greatest(tc.reltuples::bigint, 0),
      'bytes', pg_total_relation_size(tc.oid))), '[]')
    FROM ix
    JOIN pg_namespace n ON n.nspname = ix.nsp
    JOIN pg_class ic ON ic.relnamespace = n.oid AND ic.relname = ix.rel
     AND ic.relkind IN ('i', 'I')
    JOIN pg_index i ON i.indexrelid = ic.oid
    JOIN pg_class tc ON tc.oid = i.indrelid
    JOIN pg_namespace tn ON tn.oid = tc.relnamespace),
  -- NULLs are looked for only where it is cheap: a small table, or one
  -- whose statistics saw NULLs (then one is found quickly).
  'nulls', (SELECT coalesce(json_agg(json_build_object(
      'i', np.i,
      'has_nulls', CASE WHEN t.heap < 64 * 1024 * 1024
                         OR coalesce(ps.null_frac, 0) > 0 THEN
        (xpath('/row/x/text()', query_to_xml(
          format('SELECT EXISTS (SELECT 1 FROM %I.%I WHERE %I IS NULL) AS x',
                 t.nsp, t.rel, np.col),
          false, true, '')))[1]::text::boolean END)), '[]')
    FROM np JOIN t ON t.i = np.t
    LEFT JOIN pg_stats ps ON ps.schemaname = t.nsp AND ps.tablename = t.rel
     AND ps.attname = np.col
    WHERE t.relkind IN ('r', 'p')
      AND EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = t.oid
                  AND a.attname = np.col AND a.attnum > 0
                  AND NOT a.attisdropped)),
  -- Sessions that would make our DDL wait, and all traffic behind it:
  -- whoever holds a lock on a touched table (autovacuum gives way to DDL
  -- by itself, unless it prevents wraparound), and old or
  -- idle-in-transaction transactions anywhere in this database.
  'lock_holders', (SELECT coalesce(json_agg(json_build_object(
      'pid', h.pid, 'table', h.tbl, 'mode', h.mode, 'state', h.state,
      'xact_age_s', h.age, 'app', h.app, 'query', h.query)
      ORDER BY h.pid, h.tbl), '[]')
    FROM (SELECT DISTINCT ON (l.pid, t.i)
            l.pid, t.nsp || '.' || t.rel AS tbl, l.mode, a.state,
            round(extract(epoch FROM now() - a.xact_start))::bigint AS age,
            a.application_name AS app, left(a.query, 120) AS query
          FROM pg_locks l JOIN t ON l.relation = t.oid
          LEFT JOIN pg_stat_activity a ON a.pid = l.pid
          WHERE l.granted AND l.pid <> pg_backend_pid()
            -- A role without pg_read_all_stats sees no backend_type:
            -- autovacuum workers are the sessions without a user.
            AND ((a.usesysid IS NOT NULL
                  AND a.backend_type IS DISTINCT FROM 'autovacuum worker')
                 OR a.query LIKE '%to prevent wraparound%')
            AND l.database = (SELECT oid FROM pg_database
                              WHERE datname = current_database())) h),
  'long_xacts', (SELECT coalesce(json_agg(json_build_object(
      'pid', a.pid, 'state', a.state,
      'xact_age_s', round(extract(epoch FROM now() - a.xact_start)),
      'app', a.application_name, 'query', left(a.query, 120))
      ORDER BY a.xact_start), '[]')
    FROM pg_stat_activity a
    WHERE a.datname = current_database() AND a.pid <> pg_backend_pid()
      AND a.backend_type = 'client backend'
      AND a.xact_start < now() - make_interval(secs => lx))
) AS facts
FROM cfg
