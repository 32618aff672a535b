-- Organizations: the current definition (supabase/migrations/ builds exactly this; `make test` checks it).
-- Function bodies may name objects of later files: they are checked when called.
set check_function_bodies = false;

-- FUNCTION audit(uuid, text, uuid, uuid, jsonb, jsonb)
CREATE FUNCTION private.audit(p_organization_id uuid, p_action text, p_target_user_id uuid, p_target_invite_id uuid, p_before jsonb, p_after jsonb) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
begin
  insert into public.organization_audit_log
    (organization_id, actor_id, action, target_user_id, target_invite_id, before, after)
  values (p_organization_id, auth.uid(),
          coalesce(nullif(current_setting('app.audit_action', true), ''), p_action),
          p_target_user_id, p_target_invite_id, p_before, p_after);
end
$$;

-- ACL FUNCTION audit(p_organization_id uuid, p_action text, p_target_user_id uuid, p_target_invite_id uuid, p_before jsonb, p_after jsonb)
REVOKE ALL ON FUNCTION private.audit(p_organization_id uuid, p_action text, p_target_user_id uuid, p_target_invite_id uuid, p_before jsonb, p_after jsonb) FROM PUBLIC;

-- FUNCTION audit_invite()
CREATE FUNCTION private.audit_invite() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
declare
  v_state jsonb := jsonb_build_object('email', new.email, 'role', new.role, 'status', new.status);
begin
  if tg_op = 'INSERT' then
    perform private.audit(new.organization_id, 'invite.created', null, new.id, null, v_state);
  elsif new.status is distinct from old.status and new.status in ('accepted', 'revoked', 'declined', 'expired') then
    perform private.audit(new.organization_id, 'invite.' || new.status, new.accepted_by, new.id,
                          jsonb_build_object('status', old.status), v_state);
  elsif new.sent_at is distinct from old.sent_at and new.sent_at is not null then
    perform private.audit(new.organization_id, 'invite.sent', null, new.id, null,
                          jsonb_build_object('send_attempt', new.send_attempts));
  end if;
  return null;
end
$$;

-- ACL FUNCTION audit_invite()
REVOKE ALL ON FUNCTION private.audit_invite() FROM PUBLIC;

-- FUNCTION audit_membership()
CREATE FUNCTION private.audit_membership() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
begin
  if tg_op = 'INSERT' then
    perform private.audit(new.organization_id, 'member.added', new.user_id, null, null,
                          jsonb_strip_nulls(jsonb_build_object('role', new.role,
                            'via', nullif(current_setting('app.join_via', true), ''))));
  elsif tg_op = 'UPDATE' and new.role is distinct from old.role then
    perform private.audit(new.organization_id, 'member.role_changed', new.user_id, null,
                          jsonb_build_object('role', old.role), jsonb_build_object('role', new.role));
  elsif tg_op = 'DELETE' and exists (select 1 from public.organizations where id = old.organization_id) then
    perform private.audit(old.organization_id, 'member.removed', old.user_id, null,
                          jsonb_build_object('role', old.role), null);
  end if;
  return null;
end
$$;

-- COMMENT FUNCTION audit_membership()
COMMENT ON FUNCTION private.audit_membership() IS 'Writes the audit row of a membership change (member.added, with how the member came in; member.role_changed; member.removed).';

-- ACL FUNCTION audit_membership()
REVOKE ALL ON FUNCTION private.audit_membership() FROM PUBLIC;

-- FUNCTION audit_organization()
CREATE FUNCTION private.audit_organization() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
begin
  if tg_op = 'INSERT' then
    perform private.audit(new.id, 'organization.created', null, null, null,
                          jsonb_build_object('name', new.name, 'slug', new.slug, 'plan', new.plan_id, 'status', new.status));
  elsif new.status is distinct from old.status and new.status = 'active' then
    perform private.audit(new.id, 'organization.activated', null, null,
                          jsonb_build_object('status', old.status), jsonb_build_object('status', new.status));
  end if;
  return null;
end
$$;

-- ACL FUNCTION audit_organization()
REVOKE ALL ON FUNCTION private.audit_organization() FROM PUBLIC;

-- FUNCTION caller_role(uuid)
CREATE FUNCTION private.caller_role(p_organization_id uuid) RETURNS text
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO ''
    AS $$
declare
  v_role text := coalesce(
    (select 'owner' where private.is_platform_admin()),
    (select m.role from public.organization_members m
     where m.organization_id = p_organization_id and m.user_id = auth.uid()));
begin
  if v_role is null then
    perform private.refuse_platform_admin_below_aal2();
    return null;
  end if;
  perform private.require_usable_organization(p_organization_id);
  perform private.require_mfa_met(p_organization_id);
  return v_role;
end
$$;

-- COMMENT FUNCTION caller_role(p_organization_id uuid)
COMMENT ON FUNCTION private.caller_role(p_organization_id uuid) IS 'The caller''s role in the organization (owner for a platform admin); an organization scheduled for deletion answers `organization_deletion_scheduled`, a session below its MFA policy `mfa_required`.';

-- ACL FUNCTION caller_role(p_organization_id uuid)
REVOKE ALL ON FUNCTION private.caller_role(p_organization_id uuid) FROM PUBLIC;

-- FUNCTION check_invite_limits(uuid)
CREATE FUNCTION private.check_invite_limits(p_organization_id uuid) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
declare
  v_recent integer;
  v_oldest timestamptz;
begin
  perform private.require_seat(p_organization_id);
  select count(*), min(created_at) into v_recent, v_oldest from public.onboarding_invites
  where organization_id = p_organization_id and created_at > now() - interval '1 hour';
  if v_recent >= private.invite_rate_per_hour() then
    perform private.raise_rate_limited(v_oldest + interval '1 hour');
  end if;
end
$$;

-- COMMENT FUNCTION check_invite_limits(p_organization_id uuid)
COMMENT ON FUNCTION private.check_invite_limits(p_organization_id uuid) IS 'Before an invite is made: a seat is left (pending invites hold seats) and the organization is within its hourly invite budget.';

-- ACL FUNCTION check_invite_limits(p_organization_id uuid)
REVOKE ALL ON FUNCTION private.check_invite_limits(p_organization_id uuid) FROM PUBLIC;

-- FUNCTION invite_rate_per_hour()
CREATE FUNCTION private.invite_rate_per_hour() RETURNS integer
    LANGUAGE sql STABLE
    SET search_path TO ''
    AS $$ select 50 $$;

-- COMMENT FUNCTION invite_rate_per_hour()
COMMENT ON FUNCTION private.invite_rate_per_hour() IS 'New invites an organization may create per hour.';

-- ACL FUNCTION invite_rate_per_hour()
REVOKE ALL ON FUNCTION private.invite_rate_per_hour() FROM PUBLIC;

-- FUNCTION keep_an_owner()
CREATE FUNCTION private.keep_an_owner() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
begin
  if old.role <> 'owner' or (tg_op = 'UPDATE' and new.role = 'owner' and new.organization_id = old.organization_id) then
    return null;
  end if;
  perform 1 from public.organizations where id = old.organization_id for no key update;
  if not found then
    return null; -- the organization itself is being deleted
  end if;
  if not exists (select 1 from public.organization_members
                 where organization_id = old.organization_id and role = 'owner') then
    raise exception using errcode = 'PT409', message = 'last_owner',
      detail = 'an organization keeps at least one owner: make someone else owner first';
  end if;
  return null;
end
$$;

-- COMMENT FUNCTION keep_an_owner()
COMMENT ON FUNCTION private.keep_an_owner() IS 'Whoever writes (an RPC, the service role, a cascade from auth.users): an organization that still exists keeps at least one owner. The organization''s row is locked before counting, so two transactions demoting its two owners at once are serialised and the second fails.';

-- ACL FUNCTION keep_an_owner()
REVOKE ALL ON FUNCTION private.keep_an_owner() FROM PUBLIC;

-- FUNCTION lock_organization_as_member(uuid)
CREATE FUNCTION private.lock_organization_as_member(p_organization_id uuid) RETURNS text
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
declare
  v_role text;
begin
  if auth.uid() is null then
    raise exception using errcode = '42501', message = 'not_signed_in', detail = 'sign in first';
  end if;
  perform 1 from public.organizations where id = p_organization_id for no key update;
  v_role := private.caller_role(p_organization_id);
  if not found or v_role is null then
    raise exception using errcode = '42501', message = 'not_member',
      detail = 'you are not a member of this organization';
  end if;
  return v_role;
end
$$;

-- COMMENT FUNCTION lock_organization_as_member(p_organization_id uuid)
COMMENT ON FUNCTION private.lock_organization_as_member(p_organization_id uuid) IS 'Locks the organization''s row (serialising every membership change of it) and returns the caller''s role there; refuses callers who are not members.';

-- ACL FUNCTION lock_organization_as_member(p_organization_id uuid)
REVOKE ALL ON FUNCTION private.lock_organization_as_member(p_organization_id uuid) FROM PUBLIC;

-- FUNCTION raise_rate_limited(timestamp with time zone)
CREATE FUNCTION private.raise_rate_limited(p_free_at timestamp with time zone) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO ''
    AS $$
begin
  raise exception using errcode = 'PT429', message = 'rate_limited',
    detail = json_build_object('retry_after',
      greatest(1, ceil(extract(epoch from (p_free_at - now())))::integer))::text;
end
$$;

-- COMMENT FUNCTION raise_rate_limited(p_free_at timestamp with time zone)
COMMENT ON FUNCTION private.raise_rate_limited(p_free_at timestamp with time zone) IS 'The one way to refuse for a rate: 429 `rate_limited`, with the seconds until `p_free_at` as {"retry_after": s} in the details (send-invite-email turns it into Retry-After).';

-- ACL FUNCTION raise_rate_limited(p_free_at timestamp with time zone)
REVOKE ALL ON FUNCTION private.raise_rate_limited(p_free_at timestamp with time zone) FROM PUBLIC;

-- FUNCTION reset_active_organization(uuid, uuid)
CREATE FUNCTION private.reset_active_organization(p_user_id uuid, p_left uuid) RETURNS void
    LANGUAGE sql SECURITY DEFINER
    SET search_path TO ''
    AS $$
  update public.profiles set organization_id = (
    select organization_id from public.organization_members where user_id = p_user_id order by created_at limit 1)
  where id = p_user_id and organization_id = p_left
$$;

-- COMMENT FUNCTION reset_active_organization(p_user_id uuid, p_left uuid)
COMMENT ON FUNCTION private.reset_active_organization(p_user_id uuid, p_left uuid) IS 'After a user leaves an organization: their active one becomes another of theirs, or none.';

-- ACL FUNCTION reset_active_organization(p_user_id uuid, p_left uuid)
REVOKE ALL ON FUNCTION private.reset_active_organization(p_user_id uuid, p_left uuid) FROM PUBLIC;

-- FUNCTION change_member_role(uuid, uuid, text)
CREATE FUNCTION public.change_member_role(p_organization_id uuid, p_user_id uuid, p_role text) RETURNS jsonb
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
declare
  v_caller_role text;
  v_current text;
begin
  if p_role is null or not private.role_exists(p_organization_id, p_role) then
    raise exception using errcode = '22023', message = 'invalid_role', detail = 'role must be owner, admin, recruiter, viewer or one of the organization''s roles';
  end if;
  v_caller_role := private.lock_organization_as_member(p_organization_id);
  select role into v_current from public.organization_members
  where organization_id = p_organization_id and user_id = p_user_id for update;
  if not found then
    raise exception using errcode = 'PT404', message = 'member_not_found', detail = 'no such member';
  end if;
  if not private.may_manage_role(p_organization_id, v_current) or not private.may_manage_role(p_organization_id, p_role) then
    raise exception using errcode = '42501', message = 'role_too_high',
      detail = 'owners change any role; admins only roles below admin';
  end if;
  update public.organization_members set role = p_role
  where organization_id = p_organization_id and user_id = p_user_id;
  return jsonb_build_object('organization_id', p_organization_id, 'user_id', p_user_id, 'role', p_role, 'previous_role', v_current);
end
$$;

-- ACL FUNCTION change_member_role(p_organization_id uuid, p_user_id uuid, p_role text)
REVOKE ALL ON FUNCTION public.change_member_role(p_organization_id uuid, p_user_id uuid, p_role text) FROM PUBLIC;
GRANT ALL ON FUNCTION public.change_member_role(p_organization_id uuid, p_user_id uuid, p_role text) TO authenticated;

-- FUNCTION create_organization(text, text)
CREATE FUNCTION public.create_organization(p_name text, p_slug text DEFAULT NULL::text) RETURNS jsonb
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $_$
declare
  v_user auth.users;
  v_name text := btrim(coalesce(p_name, ''));
  v_base text;
  v_slug text;
  v_organization_id uuid;
begin
  select * into v_user from auth.users where id = auth.uid();
  if v_user.id is null then
    raise exception using errcode = '42501', message = 'not_signed_in', detail = 'sign in first';
  elsif v_user.email_confirmed_at is null then
    raise exception using errcode = '42501', message = 'email_not_confirmed', detail = 'confirm your email address first';
  end if;
  if char_length(v_name) not between 1 and 200 then
    raise exception using errcode = '22023', message = 'invalid_name', detail = 'name must be 1-200 characters';
  end if;
  if p_slug is not null and (char_length(p_slug) > 40 or p_slug !~ '^[a-z0-9]+(-[a-z0-9]+)*$') then
    raise exception using errcode = '22023', message = 'invalid_slug',
      detail = 'slug must be 1-40 characters of a-z, 0-9 and single dashes';
  end if;
  v_base := coalesce(p_slug, nullif(private.signup_slugify(v_name, 40), ''), 'workspace');
  for attempt in 1..10 loop
    v_slug := case when attempt = 1 then v_base
              else left(v_base, 33) || '-' || left(replace(gen_random_uuid()::text, '-', ''), 6) end;
    begin
      insert into public.organizations (name, slug, status, plan_id, created_by)
      values (v_name, v_slug, 'active', 'free', v_user.id)
      returning id into v_organization_id;
      exit;
    exception when unique_violation then
      if p_slug is not null then
        raise exception using errcode = '23505', message = 'slug_taken', detail = format('slug %L is taken', p_slug);
      end if;
    end;
  end loop;
  if v_organization_id is null then
    raise exception using errcode = '23505', message = 'slug_exhausted', detail = 'no free slug; give one';
  end if;
  insert into public.profiles (id, email, full_name)
  values (v_user.id, v_user.email, private.signup_full_name(v_user.raw_user_meta_data, v_user.email))
  on conflict (id) do nothing;
  insert into public.organization_members (organization_id, user_id, role) values (v_organization_id, v_user.id, 'owner');
  update public.profiles set organization_id = coalesce(organization_id, v_organization_id) where id = v_user.id;
  return jsonb_build_object('organization_id', v_organization_id, 'name', v_name, 'slug', v_slug,
                            'status', 'active', 'plan', 'free', 'role', 'owner');
end
$_$;

-- ACL FUNCTION create_organization(p_name text, p_slug text)
REVOKE ALL ON FUNCTION public.create_organization(p_name text, p_slug text) FROM PUBLIC;
GRANT ALL ON FUNCTION public.create_organization(p_name text, p_slug text) TO authenticated;

-- FUNCTION custom_access_token_hook(jsonb)
CREATE FUNCTION public.custom_access_token_hook(event jsonb) RETURNS jsonb
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO ''
    AS $$
declare
  v_organization_id uuid;
  v_role text;
  v_claims jsonb := coalesce(event -> 'claims', '{}'::jsonb);
begin
  -- The active organization (profiles.organization_id) while the user is a member of it;
  -- else their first membership; else none.
  select m.organization_id, m.role into v_organization_id, v_role
  from public.organization_members m
  left join public.profiles p on p.id = m.user_id
  where m.user_id = (event ->> 'user_id')::uuid
  order by (m.organization_id = p.organization_id) desc nulls last, m.created_at
  limit 1;
  if v_organization_id is null then
    return event;
  end if;
  return jsonb_set(event, '{claims}',
    v_claims || jsonb_build_object('organization_id', v_organization_id, 'org_role', v_role,
      -- For frontends to hide what the user may not do; never used for access.
      'org_permissions', to_jsonb(coalesce(private.role_permissions(v_organization_id, v_role), '{}'))));
end
$$;

-- COMMENT FUNCTION custom_access_token_hook(event jsonb)
COMMENT ON FUNCTION public.custom_access_token_hook(event jsonb) IS 'Supabase''s Custom Access Token Hook: adds the user''s active organization (`organization_id`, `org_role`, `org_permissions`) to the token''s claims, for frontends to show the right things — never for access. Enable it in supabase/config.toml ([auth.hook.custom_access_token]) or under Authentication → Hooks.';

-- ACL FUNCTION custom_access_token_hook(event jsonb)
REVOKE ALL ON FUNCTION public.custom_access_token_hook(event jsonb) FROM PUBLIC;
GRANT ALL ON FUNCTION public.custom_access_token_hook(event jsonb) TO supabase_auth_admin;

-- FUNCTION decline_invite(uuid)
CREATE FUNCTION public.decline_invite(p_invite_id uuid) RETURNS jsonb
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
declare
  v_user auth.users;
  v_invite public.onboarding_invites;
begin
  select * into v_user from auth.users where id = auth.uid();
  select * into v_invite from public.onboarding_invites where id = p_invite_id for update;
  if not found then
    raise exception using errcode = 'PT404', message = 'invite_not_found', detail = 'no such invitation';
  end if;
  if v_user.id is null or v_user.email_confirmed_at is null or lower(v_user.email) <> v_invite.email then
    raise exception using errcode = '42501', message = 'invite_wrong_user',
      detail = 'only the invited address declines an invitation';
  end if;
  if v_invite.status <> 'pending' then
    raise exception using errcode = 'PT409', message = 'invite_not_pending', detail = format('the invitation is %s', v_invite.status);
  end if;
  update public.onboarding_invites set status = 'declined', declined_at = now() where id = p_invite_id;
  return jsonb_build_object('invite_id', p_invite_id, 'status', 'declined');
end
$$;

-- ACL FUNCTION decline_invite(p_invite_id uuid)
REVOKE ALL ON FUNCTION public.decline_invite(p_invite_id uuid) FROM PUBLIC;
GRANT ALL ON FUNCTION public.decline_invite(p_invite_id uuid) TO authenticated;

-- FUNCTION invite_member(uuid, text, text)
CREATE FUNCTION public.invite_member(p_organization_id uuid, p_email text, p_role text DEFAULT 'viewer'::text) RETURNS jsonb
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $_$
declare
  v_caller_role text;
  v_email text := lower(btrim(coalesce(p_email, '')));
  v_invite public.onboarding_invites;
  v_existing boolean := true;
begin
  if p_role is null or not private.role_exists(p_organization_id, p_role) then
    raise exception using errcode = '22023', message = 'invalid_role',
      detail = 'role must be owner, admin, recruiter, viewer or one of the organization''s roles';
  end if;
  if char_length(v_email) > 320 or v_email !~ '^[^@[:space:]]+@[^@[:space:]]+\.[^@[:space:]]+$' then
    raise exception using errcode = '22023', message = 'invalid_email', detail = 'not an email address';
  end if;
  v_caller_role := private.lock_organization_as_member(p_organization_id);
  if not public.authorize(p_organization_id, 'org:members:invite') then
    raise exception using errcode = '42501', message = 'not_org_admin',
      detail = 'only owners and admins invite members';
  end if;
  if not private.may_grant(p_organization_id, p_role) then
    raise exception using errcode = '42501', message = 'role_too_high',
      detail = 'nobody invites to a role above their own';
  end if;
  if exists (select 1 from public.organization_members m join auth.users u on u.id = m.user_id
             where m.organization_id = p_organization_id and lower(u.email) = v_email) then
    raise exception using errcode = '23505', message = 'already_member', detail = 'that address is already a member';
  end if;
  select * into v_invite from public.onboarding_invites
  where organization_id = p_organization_id and email = v_email and status = 'pending';
  if not found then
    v_existing := false;
    perform private.check_invite_limits(p_organization_id);
    insert into public.onboarding_invites (organization_id, email, role, expires_at, created_by)
    values (p_organization_id, v_email, p_role, now() + interval '72 hours', auth.uid())
    returning * into v_invite;
  end if;
  return jsonb_build_object('invite_id', v_invite.id, 'organization_id', v_invite.organization_id,
    'email', v_invite.email, 'role', v_invite.role, 'status', v_invite.status,
    'expires_at', v_invite.expires_at, 'existing', v_existing);
end
$_$;

-- ACL FUNCTION invite_member(p_organization_id uuid, p_email text, p_role text)
REVOKE ALL ON FUNCTION public.invite_member(p_organization_id uuid, p_email text, p_role text) FROM PUBLIC;
GRANT ALL ON FUNCTION public.invite_member(p_organization_id uuid, p_email text, p_role text) TO authenticated;
GRANT ALL ON FUNCTION public.invite_member(p_organization_id uuid, p_email text, p_role text) TO service_role;

-- FUNCTION leave_organization(uuid)
CREATE FUNCTION public.leave_organization(p_organization_id uuid) RETURNS jsonb
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
begin
  if auth.uid() is null then
    raise exception using errcode = '42501', message = 'not_signed_in', detail = 'sign in first';
  end if;
  perform 1 from public.organizations where id = p_organization_id for no key update;
  if not exists (select 1 from public.organization_members where organization_id = p_organization_id and user_id = auth.uid()) then
    perform private.refuse_platform_admin_below_aal2();
    raise exception using errcode = '42501', message = 'not_member', detail = 'you are not a member of this organization';
  end if;
  perform private.require_mfa_met(p_organization_id);
  perform set_config('app.audit_action', 'member.left', true);
  delete from public.organization_members where organization_id = p_organization_id and user_id = auth.uid();
  perform set_config('app.audit_action', '', true);
  perform private.reset_active_organization(auth.uid(), p_organization_id);
  return jsonb_build_object('organization_id', p_organization_id, 'left', true);
end
$$;

-- COMMENT FUNCTION leave_organization(p_organization_id uuid)
COMMENT ON FUNCTION public.leave_organization(p_organization_id uuid) IS 'The caller leaves the organization (never its last owner: the trigger refuses). Allowed while the organization is scheduled for deletion.';

-- ACL FUNCTION leave_organization(p_organization_id uuid)
REVOKE ALL ON FUNCTION public.leave_organization(p_organization_id uuid) FROM PUBLIC;
GRANT ALL ON FUNCTION public.leave_organization(p_organization_id uuid) TO authenticated;

-- FUNCTION list_members(uuid, text, integer, uuid[])
CREATE FUNCTION public.list_members(p_organization_id uuid, p_after text DEFAULT NULL::text, p_limit integer DEFAULT 100, p_user_ids uuid[] DEFAULT NULL::uuid[]) RETURNS jsonb
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO ''
    AS $$
begin
  if private.caller_role(p_organization_id) is null then
    raise exception using errcode = '42501', message = 'not_member', detail = 'you are not a member of this organization';
  elsif not public.authorize(p_organization_id, 'org:members:read') then
    raise exception using errcode = '42501', message = 'permission_denied', detail = 'your role does not include org:members:read';
  elsif p_limit is null or p_limit not between 1 and 1000 or coalesce(cardinality(p_user_ids), 0) > 1000 then
    raise exception using errcode = '22023', message = 'invalid_arguments', detail = 'p_limit: 1-1000; p_user_ids: at most 1000';
  end if;
  -- Highest role first (custom roles after the system ones), then by when they joined; the
  -- cursor is the last member's place in that order. The page is chosen from the
  -- memberships alone, then only its members are looked up.
  return (with page as (
      select m.user_id, m.role, m.created_at, -coalesce(private.role_rank(m.role), -1) as rank
      from public.organization_members m
      where m.organization_id = p_organization_id
        and (p_user_ids is null or m.user_id = any (p_user_ids))
        and (p_after is null or (-coalesce(private.role_rank(m.role), -1), m.created_at, m.user_id)
             > (split_part(p_after, '|', 1)::integer, (split_part(p_after, '|', 2) || 'Z')::timestamptz,
                split_part(p_after, '|', 3)::uuid))
      -- Columns, not a row value: a sort on a record compares field by field through the
      -- record's type, several times slower.
      order by rank, created_at, user_id
      limit p_limit)
    select coalesce(jsonb_agg(jsonb_build_object(
        'user_id', page.user_id, 'email', u.email, 'full_name', p.full_name, 'role', page.role,
        'joined_at', page.created_at,
        'cursor', concat_ws('|', page.rank, to_char(page.created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US'),
                            page.user_id)) order by page.rank, page.created_at, page.user_id), '[]'::jsonb)
    from page
    join auth.users u on u.id = page.user_id
    left join public.profiles p on p.id = page.user_id);
end
$$;

-- COMMENT FUNCTION list_members(p_organization_id uuid, p_after text, p_limit integer, p_user_ids uuid[])
COMMENT ON FUNCTION public.list_members(p_organization_id uuid, p_after text, p_limit integer, p_user_ids uuid[]) IS 'The organization''s members, a page at a time: at most `p_limit` (1-1000, default 100) after the cursor `p_after` (the last member''s `cursor`), highest role first, then by when they joined; or those of `p_user_ids`. For holders of org:members:read.';

-- ACL FUNCTION list_members(p_organization_id uuid, p_after text, p_limit integer, p_user_ids uuid[])
REVOKE ALL ON FUNCTION public.list_members(p_organization_id uuid, p_after text, p_limit integer, p_user_ids uuid[]) FROM PUBLIC;
GRANT ALL ON FUNCTION public.list_members(p_organization_id uuid, p_after text, p_limit integer, p_user_ids uuid[]) TO authenticated;

-- FUNCTION my_invites()
CREATE FUNCTION public.my_invites() RETURNS jsonb
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path TO ''
    AS $$
  select coalesce(jsonb_agg(jsonb_build_object(
      'id', i.id, 'organization_id', i.organization_id, 'organization_name', o.name, 'role', i.role,
      'invited_by', p.full_name, 'expires_at', i.expires_at,
      'via', case when i.domain_id is null then 'email' else 'domain' end,
      'hostname', d.hostname) order by i.created_at), '[]'::jsonb)
  from auth.users u
  join public.onboarding_invites i on i.email = lower(u.email)
  join public.organizations o on o.id = i.organization_id
  left join public.profiles p on p.id = i.created_by
  left join public.organization_domains d on d.id = i.domain_id
  where u.id = auth.uid() and u.email_confirmed_at is not null
    and i.status = 'pending' and i.expires_at > now() and private.organization_usable(o.id)
$$;

-- COMMENT FUNCTION my_invites()
COMMENT ON FUNCTION public.my_invites() IS 'The caller''s pending invites, each saying whether it came by email or from a domain.';

-- ACL FUNCTION my_invites()
REVOKE ALL ON FUNCTION public.my_invites() FROM PUBLIC;
GRANT ALL ON FUNCTION public.my_invites() TO authenticated;

-- FUNCTION remove_member(uuid, uuid)
CREATE FUNCTION public.remove_member(p_organization_id uuid, p_user_id uuid) RETURNS jsonb
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
declare
  v_caller_role text;
  v_role text;
begin
  v_caller_role := private.lock_organization_as_member(p_organization_id);
  if p_user_id = auth.uid() then
    raise exception using errcode = '22023', message = 'cannot_remove_self', detail = 'use leave_organization';
  end if;
  select role into v_role from public.organization_members
  where organization_id = p_organization_id and user_id = p_user_id;
  if not found then
    raise exception using errcode = 'PT404', message = 'member_not_found', detail = 'no such member';
  end if;
  if not private.may_manage_role(p_organization_id, v_role) then
    raise exception using errcode = '42501', message = 'role_too_high',
      detail = 'owners remove anyone; admins only recruiters and viewers';
  end if;
  delete from public.organization_members where organization_id = p_organization_id and user_id = p_user_id;
  perform private.reset_active_organization(p_user_id, p_organization_id);
  return jsonb_build_object('organization_id', p_organization_id, 'user_id', p_user_id, 'removed', true);
end
$$;

-- ACL FUNCTION remove_member(p_organization_id uuid, p_user_id uuid)
REVOKE ALL ON FUNCTION public.remove_member(p_organization_id uuid, p_user_id uuid) FROM PUBLIC;
GRANT ALL ON FUNCTION public.remove_member(p_organization_id uuid, p_user_id uuid) TO authenticated;

-- FUNCTION set_active_organization(uuid)
CREATE FUNCTION public.set_active_organization(p_organization_id uuid) RETURNS jsonb
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
begin
  if not exists (select 1 from public.organization_members where organization_id = p_organization_id and user_id = auth.uid()) then
    raise exception using errcode = '42501', message = 'not_member', detail = 'you are not a member of this organization';
  end if;
  update public.profiles set organization_id = p_organization_id where id = auth.uid();
  return jsonb_build_object('organization_id', p_organization_id);
end
$$;

-- ACL FUNCTION set_active_organization(p_organization_id uuid)
REVOKE ALL ON FUNCTION public.set_active_organization(p_organization_id uuid) FROM PUBLIC;
GRANT ALL ON FUNCTION public.set_active_organization(p_organization_id uuid) TO authenticated;

-- FUNCTION transfer_ownership(uuid, uuid)
CREATE FUNCTION public.transfer_ownership(p_organization_id uuid, p_user_id uuid) RETURNS jsonb
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
begin
  perform private.lock_organization_as_member(p_organization_id);
  if not public.authorize(p_organization_id, 'org:ownership:transfer') or not exists (
      select 1 from public.organization_members where organization_id = p_organization_id and user_id = auth.uid()) then
    raise exception using errcode = '42501', message = 'not_owner', detail = 'only an owner transfers ownership';
  end if;
  if p_user_id = auth.uid() or not exists (
      select 1 from public.organization_members where organization_id = p_organization_id and user_id = p_user_id) then
    raise exception using errcode = 'PT404', message = 'member_not_found', detail = 'the new owner must be another member';
  end if;
  perform set_config('app.audit_action', 'ownership.transferred', true);
  -- The new owner first: at no moment is there no owner.
  update public.organization_members set role = 'owner' where organization_id = p_organization_id and user_id = p_user_id;
  update public.organization_members set role = 'admin' where organization_id = p_organization_id and user_id = auth.uid();
  perform set_config('app.audit_action', '', true);
  return jsonb_build_object('organization_id', p_organization_id, 'owner', p_user_id, 'previous_owner', auth.uid());
end
$$;

-- ACL FUNCTION transfer_ownership(p_organization_id uuid, p_user_id uuid)
REVOKE ALL ON FUNCTION public.transfer_ownership(p_organization_id uuid, p_user_id uuid) FROM PUBLIC;
GRANT ALL ON FUNCTION public.transfer_ownership(p_organization_id uuid, p_user_id uuid) TO authenticated;

-- TABLE organization_audit_log
CREATE TABLE public.organization_audit_log (
    id bigint NOT NULL,
    organization_id uuid NOT NULL,
    actor_id uuid,
    action text NOT NULL,
    target_user_id uuid,
    target_invite_id uuid,
    before jsonb,
    after jsonb,
    at timestamp with time zone DEFAULT clock_timestamp() NOT NULL
);

-- COMMENT TABLE organization_audit_log
COMMENT ON TABLE public.organization_audit_log IS 'Written by triggers, in the same transaction as the change, whoever made it; an RPC may name the action more precisely (member.left, ownership.transferred) through the transaction-local setting app.audit_action.';

-- ACL TABLE organization_audit_log
GRANT SELECT ON TABLE public.organization_audit_log TO authenticated;
GRANT ALL ON TABLE public.organization_audit_log TO service_role;

-- SEQUENCE organization_audit_log_id_seq
ALTER TABLE public.organization_audit_log ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME public.organization_audit_log_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

-- CONSTRAINT organization_audit_log organization_audit_log_pkey
ALTER TABLE ONLY public.organization_audit_log
    ADD CONSTRAINT organization_audit_log_pkey PRIMARY KEY (id);

-- INDEX organization_audit_log_invite_sent_idx
CREATE INDEX organization_audit_log_invite_sent_idx ON public.organization_audit_log USING btree (organization_id, at) WHERE (action = 'invite.sent'::text);

-- INDEX organization_audit_log_org_idx
CREATE INDEX organization_audit_log_org_idx ON public.organization_audit_log USING btree (organization_id, id);

-- TRIGGER onboarding_invites audit_invite
CREATE TRIGGER audit_invite AFTER INSERT OR UPDATE ON public.onboarding_invites FOR EACH ROW EXECUTE FUNCTION private.audit_invite();

-- TRIGGER organization_members audit_membership
CREATE TRIGGER audit_membership AFTER INSERT OR DELETE OR UPDATE ON public.organization_members FOR EACH ROW EXECUTE FUNCTION private.audit_membership();

-- TRIGGER organizations audit_organization
CREATE TRIGGER audit_organization AFTER INSERT OR UPDATE ON public.organizations FOR EACH ROW EXECUTE FUNCTION private.audit_organization();

-- TRIGGER organization_members keep_an_owner
CREATE TRIGGER keep_an_owner AFTER DELETE OR UPDATE ON public.organization_members FOR EACH ROW EXECUTE FUNCTION private.keep_an_owner();

-- FK CONSTRAINT organization_audit_log organization_audit_log_actor_id_fkey
ALTER TABLE ONLY public.organization_audit_log
    ADD CONSTRAINT organization_audit_log_actor_id_fkey FOREIGN KEY (actor_id) REFERENCES auth.users(id) ON DELETE SET NULL;

-- FK CONSTRAINT organization_audit_log organization_audit_log_organization_id_fkey
ALTER TABLE ONLY public.organization_audit_log
    ADD CONSTRAINT organization_audit_log_organization_id_fkey FOREIGN KEY (organization_id) REFERENCES public.organizations(id) ON DELETE CASCADE;

-- POLICY organization_audit_log audit readers read their organization's log
CREATE POLICY "audit readers read their organization's log" ON public.organization_audit_log FOR SELECT TO authenticated USING ((organization_id = ANY (( SELECT private.readable_organizations('org:audit:read'::text) AS readable_organizations)::uuid[])));

-- ROW SECURITY organization_audit_log
ALTER TABLE public.organization_audit_log ENABLE ROW LEVEL SECURITY;
