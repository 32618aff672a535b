-- The signup naming rules in one language (issue 22): the profile name, the workspace's
-- name and its slug are derived here, in SQL, from what the webhook carries — by the
-- function's RPC and by the reconcile job alike — instead of in Rust and again in SQL.

-- A new user's workspace from the webhook's record: the name from `full_name`, else
-- `name` in the user's metadata, else the email's local part, else "User"; the
-- workspace "<name>'s Workspace"; the slug from the name, else the email, else
-- "workspace" (made unique by create_signup_org). Idempotent, as create_signup_org is.
create or replace function public.create_signup_workspace(p_user_id uuid, p_email text, p_metadata jsonb)
returns jsonb
language plpgsql security definer set search_path = '' as $$
declare
  v_email text := nullif(btrim(p_email), '');
  v_metadata jsonb := case when jsonb_typeof(p_metadata) = 'object' then p_metadata else '{}' end;
  v_full_name text := private.signup_full_name(v_metadata, v_email);
begin
  return public.create_signup_org(p_user_id, v_email, v_full_name, v_full_name || '''s Workspace',
                                  private.signup_slug_base(v_full_name, v_email));
end
$$;
revoke execute on function public.create_signup_workspace(uuid, text, jsonb) from public, anon, authenticated;
grant execute on function public.create_signup_workspace(uuid, text, jsonb) to service_role;

-- The reconcile job, through the same function.
create or replace function public.reconcile_signups(p_older_than interval default interval '1 minute', p_limit integer default 500)
returns integer
language plpgsql security definer set search_path = '' as $$
declare
  missing record;
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
    perform public.create_signup_workspace(missing.id, missing.email, missing.raw_user_meta_data);
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
