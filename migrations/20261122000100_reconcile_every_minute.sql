-- The reconcile job repairs lost signup webhooks sooner, and every run leaves a record.
--
-- Why its first run after an outage repaired nothing: it only looked at users older than
-- 5 minutes and ran every 5 minutes, so users lost in the minutes before a run were
-- younger than the window and waited for the next run (up to 10 minutes in all). The
-- window only has to outlast one webhook delivery (pg_net's timeout here is 5 s) — the
-- repair is idempotent and serialised per user with the webhook — so it is now 1 minute,
-- and the job runs every minute: a lost signup is repaired within 2 minutes.
--
-- Each run records what it looked at and what it repaired in private.reconcile_runs (a
-- schema PostgREST does not serve; read it with SQL as the database owner) and in the
-- server log.

create table if not exists private.reconcile_runs (
  id bigint generated always as identity primary key,
  ran_at timestamptz not null default now(),
  -- Users created before this instant were looked at: those younger are the webhook's.
  window_end timestamptz not null,
  users_without_profile integer not null,
  repaired_user_ids uuid[] not null default '{}'
);
alter table private.reconcile_runs enable row level security;
comment on table private.reconcile_runs is 'One row per reconcile_signups() run: what it looked at and what it repaired.';

drop function if exists public.reconcile_signups(interval, integer);
create function public.reconcile_signups(
  p_older_than interval default interval '1 minute',
  p_limit integer default 500
) returns integer
language plpgsql security definer set search_path = '' as $$
declare
  missing record;
  v_full_name text;
  v_email text;
  v_window_end timestamptz := now() - p_older_than;
  v_without_profile integer;
  v_repaired uuid[] := '{}';
begin
  select count(*) into v_without_profile
  from auth.users u
  where u.created_at < v_window_end
    and not exists (select 1 from public.profiles p where p.id = u.id);
  for missing in
    select u.id, u.email, u.raw_user_meta_data
    from auth.users u
    where u.created_at < v_window_end
      and not exists (select 1 from public.profiles p where p.id = u.id)
    order by u.created_at
    limit p_limit
  loop
    v_email := nullif(btrim(missing.email), '');
    v_full_name := private.signup_full_name(missing.raw_user_meta_data, v_email);
    perform public.create_signup_org(
      missing.id, v_email, v_full_name, v_full_name || '''s Workspace',
      private.signup_slug_base(v_full_name, v_email));
    v_repaired := v_repaired || missing.id;
  end loop;
  insert into private.reconcile_runs (window_end, users_without_profile, repaired_user_ids)
  values (v_window_end, v_without_profile, v_repaired);
  raise log 'reconcile_signups: %', json_build_object(
    'window_end', v_window_end, 'users_without_profile', v_without_profile,
    'repaired', cardinality(v_repaired), 'repaired_user_ids', v_repaired);
  return cardinality(v_repaired);
end
$$;
revoke execute on function public.reconcile_signups(interval, integer) from public, anon, authenticated;
grant execute on function public.reconcile_signups(interval, integer) to service_role;

select private.schedule_if_cron('reconcile-signups', '* * * * *', 'select public.reconcile_signups()');
