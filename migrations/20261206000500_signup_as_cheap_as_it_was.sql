-- Signup as cheap as it was (issue 33): the PostgreSQL time a signup gained with the
-- features, taken back without dropping one.
--
-- Measured with track_functions = all over 2,000 signups (pgbench, 8 clients): most of the
-- added time was not in the rows written but in how the helpers are called. On PostgreSQL
-- 15 (and 17) a `language sql` function that cannot be inlined — every one here, since
-- `set search_path` forbids inlining — is parsed and planned again on every call, while
-- PL/pgSQL keeps each statement's plan for the session. A signup called six such helpers
-- (two audit rows, the role check, the workspace check, the name and slug helpers), and the
-- reads that list roles call role_permissions once per row. They become PL/pgSQL with the
-- same bodies, arguments, volatility, owners and grants (create or replace keeps the last
-- two).
--
-- And the slug: a taken slug ("john", "bench-user") was found by a unique violation inside
-- an exception block, a subtransaction per attempt. `on conflict do nothing` without a
-- target answers the same question for both unique keys (the slug and the signup user)
-- with no subtransaction; which one it was is read back from the signup user's row.

create or replace function private.signup_clean_name(p_raw text)
returns text language plpgsql immutable set search_path = '' as $$
begin
  return nullif(rtrim(left(btrim(regexp_replace(p_raw,
    '[\u0001-\u0020\u007f-\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+', ' ', 'g')), 100), ' '), '');
end
$$;

create or replace function private.signup_full_name(p_meta jsonb, p_email text)
returns text language plpgsql immutable set search_path = '' as $$
begin
  return coalesce(
    case when jsonb_typeof(p_meta -> 'full_name') = 'string' then private.signup_clean_name(p_meta ->> 'full_name') end,
    case when jsonb_typeof(p_meta -> 'name') = 'string' then private.signup_clean_name(p_meta ->> 'name') end,
    private.signup_clean_name(split_part(nullif(btrim(p_email), ''), '@', 1)),
    'User');
end
$$;

create or replace function private.signup_slugify(p_text text, p_max integer)
returns text language plpgsql immutable set search_path = '' as $$
begin
  return rtrim(left(btrim(regexp_replace(lower(p_text collate "C"), '[^a-z0-9]+', '-', 'g'), '-'), p_max), '-');
end
$$;

create or replace function private.signup_slug_base(p_full_name text, p_email text)
returns text language plpgsql immutable set search_path = '' as $$
begin
  return coalesce(
    nullif(private.signup_slugify(p_full_name, 40), ''),
    nullif(private.signup_slugify(split_part(nullif(btrim(p_email), ''), '@', 1), 40), ''),
    'workspace');
end
$$;

create or replace function private.signup_wants_workspace(p_user_id uuid, p_email text)
returns boolean language plpgsql stable set search_path = '' as $$
begin
  return not exists (
      select 1 from public.onboarding_invites
      where email = lower(btrim(p_email)) and status = 'pending' and expires_at > now())
    and not exists (select 1 from public.organization_members where user_id = p_user_id)
    and not exists (select 1 from private.deleted_organizations where signup_user_id = p_user_id);
end
$$;

create or replace function private.role_permissions(p_organization_id uuid, p_role text)
returns text[] language plpgsql stable security definer set search_path = '' as $$
begin
  return (select r.permissions from public.organization_roles r
          where r.key = p_role and (r.organization_id is null or r.organization_id = p_organization_id)
          order by r.organization_id nulls first limit 1);
end
$$;

create or replace function private.role_exists(p_organization_id uuid, p_role text)
returns boolean language plpgsql stable security definer set search_path = '' as $$
begin
  return private.role_permissions(p_organization_id, p_role) is not null;
end
$$;

create or replace function private.audit(
  p_organization_id uuid, p_action text, p_target_user_id uuid, p_target_invite_id uuid,
  p_before jsonb, p_after jsonb
) returns void
language plpgsql security definer set search_path = '' as $$
begin
  insert into public.organization_audit_log
    (organization_id, actor_id, action, target_user_id, target_invite_id, before, after)
  values (p_organization_id, auth.uid(),
          coalesce(nullif(current_setting('app.audit_action', true), ''), p_action),
          p_target_user_id, p_target_invite_id, p_before, p_after);
end
$$;

-- The same function, its slug found without a subtransaction.
create or replace function public.create_signup_org(
  p_user_id uuid, p_email text, p_full_name text, p_organization_name text, p_slug_base text
) returns jsonb language plpgsql security definer set search_path = '' as $_$
declare
  max_slug_attempts constant integer := 10;
  v_organization_id uuid;
  v_slug text;
  v_membership_id uuid;
  v_created boolean := false;
begin
  if p_slug_base is null or char_length(p_slug_base) > 40 or p_slug_base !~ '^[a-z0-9]+(-[a-z0-9]+)*$' then
    raise exception using errcode = '22023', message = 'invalid_slug_base',
      detail = 'slug base must be 1-40 characters of [a-z0-9-]';
  end if;

  -- Proves the user exists, keeps it from being deleted under us, and serialises
  -- deliveries for the same user; the unique keys below remain the guarantee.
  perform 1 from auth.users where id = p_user_id for key share;
  if not found then
    raise exception using errcode = 'P0002', message = 'user_not_found',
      detail = format('user %s does not exist', p_user_id);
  end if;
  perform pg_advisory_xact_lock(hashtextextended('create_signup_org:' || p_user_id::text, 0));

  insert into public.profiles (id, email, full_name)
  values (p_user_id, p_email, p_full_name)
  on conflict (id) do nothing;

  select id, slug into v_organization_id, v_slug
  from public.organizations where signup_user_id = p_user_id;

  if v_organization_id is null and not private.signup_wants_workspace(p_user_id, p_email) then
    return jsonb_build_object(
      'user_id', p_user_id, 'profile_id', p_user_id, 'organization_id', null,
      'organization_slug', null, 'membership_id', null, 'created', false,
      'workspace', 'skipped');
  end if;

  if v_organization_id is null then
    for attempt in 1..max_slug_attempts loop
      v_slug := case
        when attempt = 1 then p_slug_base
        else p_slug_base || '-' || left(replace(gen_random_uuid()::text, '-', ''), 6)
      end;
      -- No conflict target: a taken slug and a concurrent delivery for the same user both
      -- answer no row, without the subtransaction an exception block costs; the signup
      -- user's own row says which it was.
      insert into public.organizations (name, slug, created_by, signup_user_id)
      values (p_organization_name, v_slug, p_user_id, p_user_id)
      on conflict do nothing
      returning id into v_organization_id;
      if v_organization_id is not null then
        v_created := true;
        exit;
      end if;
      select id, slug into v_organization_id, v_slug
      from public.organizations where signup_user_id = p_user_id;
      exit when v_organization_id is not null;
    end loop;
    if v_organization_id is null then
      raise exception using errcode = '23505', message = 'slug_exhausted',
        detail = format('no free slug for "%s" after %s attempts', p_slug_base, max_slug_attempts);
    end if;
  end if;

  insert into public.organization_members (organization_id, user_id, role)
  values (v_organization_id, p_user_id, 'owner')
  on conflict (organization_id, user_id) do nothing
  returning id into v_membership_id;
  if v_membership_id is null then
    select id into v_membership_id from public.organization_members
    where organization_id = v_organization_id and user_id = p_user_id;
  end if;

  return jsonb_build_object(
    'user_id', p_user_id,
    'profile_id', p_user_id,
    'organization_id', v_organization_id,
    'organization_slug', v_slug,
    'membership_id', v_membership_id,
    'created', v_created,
    'workspace', 'personal'
  );
end
$_$;
