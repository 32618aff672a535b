-- Locks that let a busy organization work (issue 33). The functions that serialise on an
-- organization's row — seat checks, member management, leaving, asking to join, the owner
-- check, completing onboarding, scheduling deletion — took `for update`, which also holds
-- off every foreign-key check on that row: another member's audit row, membership or
-- invitation waited for the whole transaction. They change no key of the row (only its
-- status; the purge, which deletes it, keeps `for update`), so `for no key update`: still
-- one at a time among themselves, and nobody else waits.
--
-- Reviewed for the seat limit: every path that adds to what a seat check counts (members
-- plus pending invitations) takes the lock through seat_available — invitations, invite
-- links, invitations by domain, approved join requests; accepting an email invitation
-- turns a counted invitation into a counted member, and a new organization has no one
-- else. So no path relied on the foreign-key check being held off.
--
-- The definitions are the current ones with only that changed (and the deleter's lock
-- reading the caller's permissions once).

CREATE OR REPLACE FUNCTION public.complete_onboarding(p_organization_id uuid) RETURNS jsonb
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
declare
  v_organization public.organizations;
  v_missing text[];
begin
  perform private.caller_role(p_organization_id);
  if not public.authorize(p_organization_id, 'org:activate') then
    raise exception using errcode = 'PT403', message = 'not_owner', detail = 'only the owner completes onboarding';
  end if;
  select * into v_organization from public.organizations where id = p_organization_id for no key update;
  if v_organization.onboarding_completed_at is null then
    select coalesce(array_agg(s.key order by s.phase_position), '{}') into v_missing
    from private.onboarding_phases(private.enabled_features(p_organization_id)) s
    where s.shown and not exists (select 1 from public.organization_onboarding_phases p
                                  where p.organization_id = p_organization_id and p.phase = s.key and p.done);
    if cardinality(v_missing) > 0 then
      raise exception using errcode = 'PT409', message = 'onboarding_incomplete',
        detail = 'phases not done: ' || array_to_string(v_missing, ', '),
        hint = array_to_json(v_missing)::text;
    end if;
  end if;
  update public.organizations
  set status = 'active', onboarding_completed_at = coalesce(onboarding_completed_at, now())
  where id = p_organization_id
  returning * into v_organization;
  return jsonb_build_object('organization_id', v_organization.id, 'status', v_organization.status,
                            'onboarding_completed_at', v_organization.onboarding_completed_at);
end
$$;

CREATE OR REPLACE FUNCTION private.keep_an_owner() RETURNS trigger
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

CREATE OR REPLACE FUNCTION private.lock_organization_as_member(p_organization_id uuid) RETURNS text
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

CREATE OR REPLACE FUNCTION public.leave_organization(p_organization_id uuid) RETURNS jsonb
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

CREATE OR REPLACE FUNCTION private.seat_available(p_organization_id uuid) RETURNS boolean
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
declare
  v_limit integer;
begin
  perform 1 from public.organizations where id = p_organization_id for no key update;
  select p.member_limit into v_limit
  from public.organizations o join public.plans p on p.id = o.plan_id where o.id = p_organization_id;
  return v_limit is null or v_limit > (
    (select count(*) from public.organization_members where organization_id = p_organization_id)
    + (select count(*) from public.onboarding_invites
       where organization_id = p_organization_id and status = 'pending' and expires_at > now()));
end
$$;

CREATE OR REPLACE FUNCTION public.request_to_join(p_organization_id uuid) RETURNS jsonb
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
declare
  v_user auth.users := private.confirmed_caller();
  v_domain public.organization_domains;
  v_request public.organization_join_requests;
begin
  perform 1 from public.organizations where id = p_organization_id for no key update;
  v_domain := private.verified_domain_for(p_organization_id, v_user.email);
  if v_domain.id is null or v_domain.enrollment_mode <> 'automatic_suggestion' then
    raise exception using errcode = '42501', message = 'join_not_available',
      detail = 'this organization does not take requests from your email domain';
  end if;
  perform private.require_usable_organization(p_organization_id);
  if exists (select 1 from public.organization_members where organization_id = p_organization_id and user_id = v_user.id) then
    raise exception using errcode = '23505', message = 'already_member', detail = 'you are already a member';
  end if;
  select * into v_request from public.organization_join_requests
  where organization_id = p_organization_id and user_id = v_user.id order by created_at desc limit 1;
  if v_request.status = 'pending' then
    return private.join_request_view(v_request) || jsonb_build_object('existing', true);
  elsif v_request.status = 'denied' then
    raise exception using errcode = 'PT409', message = 'join_request_denied',
      detail = 'the organization declined your request; ask one of its admins for an invitation';
  end if;
  insert into public.organization_join_requests (organization_id, user_id, email, domain_id)
  values (p_organization_id, v_user.id, lower(v_user.email), v_domain.id)
  returning * into v_request;
  perform private.audit(p_organization_id, 'member.join_requested', v_user.id, null, null,
    jsonb_build_object('request_id', v_request.id, 'email', v_request.email, 'hostname', v_domain.hostname));
  return private.join_request_view(v_request) || jsonb_build_object('existing', false);
end
$$;

CREATE OR REPLACE FUNCTION private.lock_organization_as_deleter(p_organization_id uuid) RETURNS public.organizations
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
declare
  v_organization public.organizations;
  v_permissions text[];
begin
  if auth.uid() is null then
    raise exception using errcode = '42501', message = 'not_signed_in', detail = 'sign in first';
  end if;
  select * into v_organization from public.organizations where id = p_organization_id for no key update;
  v_permissions := private.caller_permissions(p_organization_id);
  if v_organization.id is null or cardinality(v_permissions) = 0 then
    perform private.refuse_platform_admin_below_aal2();
    raise exception using errcode = '42501', message = 'not_owner', detail = 'only owners delete an organization';
  end if;
  -- A member's session meets the MFA policy before anything else is said to it.
  perform private.require_mfa_met(p_organization_id);
  if not ('org:delete' = any (v_permissions)) then
    raise exception using errcode = '42501', message = 'not_owner', detail = 'only owners delete an organization';
  end if;
  return v_organization;
end
$$;
