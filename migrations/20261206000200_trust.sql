-- Trust (issue 31): what a security review found, each class closed wherever it occurs.
--
-- 1. Platform admins act on tenants only with a second factor. A platform admin sees and
--    acts on every tenant, so the platform-wide rule is stricter than any organization's
--    MFA policy: `private.is_platform_admin()` is true only in an `aal2` session. Every
--    row-level policy and RPC that lets platform admins through asks it, so RLS and RPCs
--    agree; an RPC answers a platform admin below aal2 `mfa_required` (not a stranger's
--    refusal), so the web app knows to ask for the second factor.
-- 2. An organization scheduled for deletion takes no new member by any way in: every way
--    in ends in `private.join_organization`, which refuses; validate-invite says so; a
--    domain invites nobody and suggests itself to nobody; join requests are refused. Its
--    invites and links are untouched, so they work again if the deletion is cancelled
--    (unless they expired meanwhile). A member may still leave, and those who may export
--    still may: that is what the grace period is for.
-- 3. `perform f(…)` sets FOUND (true: the call returns a row), so an `if not found` after
--    it never fired: revoke_invite and force_complete_user_onboarding check the row they
--    looked up, and an unknown id gets its 404.
-- 4. Updating or deleting a custom role is bounded as moving members is: a non-owner only
--    touches roles holding strictly less than they do, and only sets permissions that
--    stay strictly less. A role an active invite link grants is not deleted.
-- 5. An export page carries the database's time (`at`): the first page's is the export's.

-- 1. Platform admins ---------------------------------------------------------------------------

create or replace function private.is_platform_admin()
returns boolean language sql stable security definer set search_path = '' as $$
  select exists (
      select 1 from public.platform_roles
      where user_id = (select auth.uid()) and role = 'platform_admin')
    and coalesce((select auth.jwt()) ->> 'aal', 'aal1') = 'aal2'
$$;
comment on function private.is_platform_admin() is 'Whether the caller acts as a platform admin: they hold the role and their session has verified a second factor (aal2). Below aal2 a platform admin is an ordinary user.';

-- The one refusal of a platform admin below aal2, where a path would otherwise treat them
-- as a stranger.
create function private.refuse_platform_admin_below_aal2()
returns void language plpgsql stable security definer set search_path = '' as $$
begin
  if not private.is_platform_admin()
     and exists (select 1 from public.platform_roles where user_id = auth.uid() and role = 'platform_admin') then
    raise exception using errcode = '42501', message = 'mfa_required',
      detail = 'platform admins act on tenants only after verifying a second factor (aal2)';
  end if;
end
$$;
revoke all on function private.refuse_platform_admin_below_aal2() from public;
comment on function private.refuse_platform_admin_below_aal2() is 'Raises `mfa_required` for a platform admin whose session is below aal2.';

create or replace function private.require_platform_admin()
returns void language plpgsql stable set search_path = '' as $$
begin
  if not (private.is_platform_admin() or auth.role() = 'service_role') then
    perform private.refuse_platform_admin_below_aal2();
    raise exception using errcode = '42501', message = 'not_platform_admin',
      detail = 'only platform admins may do this';
  end if;
end
$$;
comment on function private.require_platform_admin() is 'Refuses anyone but a platform admin (at aal2: below it, `mfa_required`) or the service role (`not_platform_admin`).';

-- The organization's MFA policy, the one refusal of a session below it.
create function private.require_mfa_met(p_organization_id uuid)
returns void language plpgsql stable security definer set search_path = '' as $$
begin
  if not private.session_meets_mfa(p_organization_id) then
    raise exception using errcode = '42501', message = 'mfa_required',
      detail = 'this organization requires two-factor authentication: verify a second factor (aal2) first';
  end if;
end
$$;
revoke all on function private.require_mfa_met(uuid) from public;
comment on function private.require_mfa_met(uuid) is 'Raises `mfa_required` when this session does not meet the organization''s MFA policy.';

-- 2. Deletion's grace period ---------------------------------------------------------------------

-- The one refusal of an organization scheduled for deletion.
create function private.require_usable_organization(p_organization_id uuid)
returns void language plpgsql stable security definer set search_path = '' as $$
begin
  if not private.organization_usable(p_organization_id) then
    raise exception using errcode = 'PT410', message = 'organization_deletion_scheduled',
      detail = 'this organization is scheduled for deletion; an owner can cancel it until it is purged';
  end if;
end
$$;
revoke all on function private.require_usable_organization(uuid) from public;
comment on function private.require_usable_organization(uuid) is 'Raises `organization_deletion_scheduled` (410) for an organization scheduled for deletion.';

create or replace function private.caller_role(p_organization_id uuid)
returns text language plpgsql stable security definer set search_path = '' as $$
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

create or replace function private.lock_organization_as_deleter(p_organization_id uuid)
returns public.organizations language plpgsql security definer set search_path = '' as $$
declare
  v_organization public.organizations;
begin
  if auth.uid() is null then
    raise exception using errcode = '42501', message = 'not_signed_in', detail = 'sign in first';
  end if;
  select * into v_organization from public.organizations where id = p_organization_id for update;
  if not found or cardinality(private.caller_permissions(p_organization_id)) = 0 then
    perform private.refuse_platform_admin_below_aal2();
    raise exception using errcode = '42501', message = 'not_owner', detail = 'only owners delete an organization';
  end if;
  -- A member's session meets the MFA policy before anything else is said to it.
  perform private.require_mfa_met(p_organization_id);
  if not ('org:delete' = any (private.caller_permissions(p_organization_id))) then
    raise exception using errcode = '42501', message = 'not_owner', detail = 'only owners delete an organization';
  end if;
  return v_organization;
end
$$;

-- Every way in (an invitation, a domain's invitation, a link, an approved request) ends here.
create or replace function private.join_organization(p_organization_id uuid, p_user auth.users, p_role text,
                                                     p_via text, p_set_role boolean default false)
returns jsonb language plpgsql security definer set search_path = '' as $$
declare
  v_membership public.organization_members;
begin
  perform private.require_usable_organization(p_organization_id);
  -- The signup webhook may not have run yet: the profile is created here if need be.
  insert into public.profiles (id, email, full_name)
  values (p_user.id, p_user.email, private.signup_full_name(p_user.raw_user_meta_data, p_user.email))
  on conflict (id) do nothing;
  perform set_config('app.join_via', p_via, true);
  insert into public.organization_members (organization_id, user_id, role)
  values (p_organization_id, p_user.id, p_role)
  on conflict (organization_id, user_id) do update set role = excluded.role where p_set_role;
  perform set_config('app.join_via', '', true);
  update public.profiles set organization_id = p_organization_id where id = p_user.id;
  select * into v_membership from public.organization_members
  where organization_id = p_organization_id and user_id = p_user.id;
  return jsonb_build_object('organization_id', p_organization_id, 'membership_id', v_membership.id,
                            'role', v_membership.role);
end
$$;
comment on function private.join_organization(uuid, auth.users, text, text, boolean) is 'Adds the user to the organization (never a second membership) and makes it their active one; `p_via` says how they came in. Every way in ends here, so an organization scheduled for deletion takes no new member by any of them (`organization_deletion_scheduled`).';

create or replace function public.validate_invite(p_token_hash text)
returns jsonb language plpgsql stable security definer set search_path = '' as $$
declare
  v_invite public.onboarding_invites;
  v_link public.invite_links;
  v_organization public.organizations;
  v_features text[];
begin
  select * into v_invite from public.onboarding_invites where token_hash = p_token_hash;
  if found then
    if v_invite.status = 'revoked' then
      raise exception using message = 'invite_revoked';
    elsif v_invite.status = 'accepted' then
      raise exception using message = 'invite_already_accepted';
    elsif v_invite.status = 'expired' or v_invite.expires_at <= now() then
      raise exception using message = 'invite_expired';
    end if;
  else
    select * into v_link from public.invite_links where token_hash = p_token_hash;
    if not found then
      raise exception using message = 'invite_not_found';
    end if;
    perform private.check_invite_link(v_link);
  end if;
  select * into v_organization from public.organizations where id = coalesce(v_invite.organization_id, v_link.organization_id);
  perform private.require_usable_organization(v_organization.id);
  v_features := private.enabled_features(v_organization.id);
  return jsonb_build_object(
    'kind', case when v_link.id is null then 'invite' else 'link' end,
    'organization', jsonb_build_object('id', v_organization.id, 'name', v_organization.name, 'slug', v_organization.slug),
    'plan', (select jsonb_build_object('id', p.id, 'name', p.name) from public.plans p where p.id = v_organization.plan_id),
    'features', (select coalesce(jsonb_agg(jsonb_build_object('key', f.key, 'name', f.name) order by f.key), '[]')
                 from public.features f where f.key = any (v_features)),
    'feature_count', cardinality(v_features),
    'email', v_invite.email,
    'role', coalesce(v_invite.role, v_link.role),
    'expires_at', coalesce(v_invite.expires_at, v_link.expires_at),
    'allowed_domain', v_link.allowed_domain);
end
$$;

create or replace function private.invite_through_domain(p_domain public.organization_domains, p_email text)
returns boolean language plpgsql security definer set search_path = '' as $$
declare
  v_email text := lower(p_email);
begin
  if p_domain.verified_at is null or p_domain.enrollment_mode <> 'automatic_invitation'
     or private.email_hostname(v_email) is distinct from p_domain.hostname
     or not private.organization_usable(p_domain.organization_id)
     or exists (select 1 from public.organization_members m join auth.users u on u.id = m.user_id
                where m.organization_id = p_domain.organization_id and lower(u.email) = v_email)
     or exists (select 1 from public.onboarding_invites
                where organization_id = p_domain.organization_id and email = v_email and status = 'pending')
     or not private.seat_available(p_domain.organization_id) then
    return false;
  end if;
  insert into public.onboarding_invites (organization_id, email, role, expires_at, domain_id)
  values (p_domain.organization_id, v_email, p_domain.default_role, now() + interval '30 days', p_domain.id)
  on conflict (organization_id, email) where status = 'pending' do nothing;
  return found;
end
$$;

create or replace function public.request_to_join(p_organization_id uuid)
returns jsonb language plpgsql security definer set search_path = '' as $$
declare
  v_user auth.users := private.confirmed_caller();
  v_domain public.organization_domains;
  v_request public.organization_join_requests;
begin
  perform 1 from public.organizations where id = p_organization_id for update;
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

-- What waits for the caller lists nothing they could not accept.
create or replace function public.my_invites()
returns jsonb language sql stable security definer set search_path = '' as $$
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

create or replace function public.my_suggestions()
returns jsonb language sql stable security definer set search_path = '' as $$
  select coalesce(jsonb_agg(jsonb_build_object(
      'organization_id', o.id, 'organization_name', o.name, 'hostname', d.hostname,
      'request', (select jsonb_build_object('id', r.id, 'status', r.status, 'created_at', r.created_at)
                  from public.organization_join_requests r
                  where r.organization_id = o.id and r.user_id = u.id
                  order by r.created_at desc limit 1))
      order by o.name), '[]'::jsonb)
  from auth.users u
  join public.organization_domains d
    on d.hostname = private.email_hostname(u.email) and d.verified_at is not null
   and d.enrollment_mode = 'automatic_suggestion'
  join public.organizations o on o.id = d.organization_id
  where u.id = auth.uid() and u.email_confirmed_at is not null and private.organization_usable(o.id)
    and not exists (select 1 from public.organization_members m where m.organization_id = o.id and m.user_id = u.id)
$$;

-- Leaving is allowed during the grace period (the organization's MFA policy still holds).
create or replace function public.leave_organization(p_organization_id uuid)
returns jsonb language plpgsql security definer set search_path = '' as $$
begin
  if auth.uid() is null then
    raise exception using errcode = '42501', message = 'not_signed_in', detail = 'sign in first';
  end if;
  perform 1 from public.organizations where id = p_organization_id for update;
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
comment on function public.leave_organization(uuid) is 'The caller leaves the organization (never its last owner: the trigger refuses). Allowed while the organization is scheduled for deletion.';

-- Webhook endpoints and messages: the organization's own refusals (deletion, the MFA policy,
-- a platform admin below aal2) before the permission's, as every other RPC says them.
create or replace function private.administered_endpoint(p_endpoint_id uuid)
returns public.webhook_endpoints language plpgsql security definer set search_path = '' as $$
declare
  v_endpoint public.webhook_endpoints;
begin
  select * into v_endpoint from public.webhook_endpoints where id = p_endpoint_id;
  if not found or private.caller_role(v_endpoint.organization_id) is null
     or not v_endpoint.organization_id in (select private.permitted_organization_ids('org:webhooks:manage'))
        and not private.is_platform_admin() then
    raise exception using errcode = 'PT404', message = 'endpoint_not_found', detail = 'no such webhook endpoint';
  end if;
  perform private.administer_webhooks(v_endpoint.organization_id);
  select * into v_endpoint from public.webhook_endpoints where id = p_endpoint_id for update;
  return v_endpoint;
end
$$;

create or replace function public.replay_webhook_message(p_message_id text, p_endpoint_id uuid default null)
returns jsonb language plpgsql security definer set search_path = '' as $$
declare
  v_message public.webhook_messages;
  v_count integer;
begin
  select * into v_message from public.webhook_messages where id = p_message_id;
  if not found or private.caller_role(v_message.organization_id) is null
     or not v_message.organization_id in (select private.permitted_organization_ids('org:webhooks:manage'))
        and not private.is_platform_admin() then
    raise exception using errcode = 'PT404', message = 'message_not_found', detail = 'no such webhook message';
  end if;
  perform private.administer_webhooks(v_message.organization_id);
  update public.webhook_outbox o
  set status = 'pending', attempts = 0, next_attempt_at = now(), last_error = null, delivered_at = null
  where o.message_id = p_message_id and (p_endpoint_id is null or o.endpoint_id = p_endpoint_id)
    and exists (select 1 from public.webhook_endpoints e where e.id = o.endpoint_id and e.enabled);
  get diagnostics v_count = row_count;
  return jsonb_build_object('message_id', p_message_id, 'requeued', v_count);
end
$$;

-- 3. perform … if not found ------------------------------------------------------------------------

create or replace function public.revoke_invite(p_invite_id uuid)
returns jsonb language plpgsql security definer set search_path = '' as $$
declare
  v_invite public.onboarding_invites;
begin
  select * into v_invite from public.onboarding_invites where id = p_invite_id for update;
  if not found or not (auth.role() = 'service_role'
                       or (private.caller_role(v_invite.organization_id) is not null
                           and public.authorize(v_invite.organization_id, 'org:members:invite'))) then
    raise exception using errcode = 'PT404', message = 'invite_not_found', detail = 'no such invitation';
  end if;
  if v_invite.status = 'accepted' then
    raise exception using errcode = 'PT409', message = 'invite_already_accepted',
      detail = 'an accepted invitation cannot be revoked';
  end if;
  update public.onboarding_invites
  set status = 'revoked', revoked_at = coalesce(revoked_at, now())
  where id = p_invite_id returning * into v_invite;
  return jsonb_build_object('invite_id', v_invite.id, 'status', v_invite.status, 'revoked_at', v_invite.revoked_at);
end
$$;

create or replace function public.force_complete_user_onboarding(p_user_id uuid, p_chat_id bigint, p_reason text)
returns jsonb language plpgsql security definer set search_path = '' as $$
declare
  v_user public.tenant_users;
begin
  if p_chat_id is null or char_length(btrim(coalesce(p_reason, ''))) not between 1 and 500 then
    raise exception using errcode = '22023', message = 'invalid_arguments',
      detail = 'a chat id and a reason (1-500 characters) are required';
  end if;
  select * into v_user from public.tenant_users where id = p_user_id for update;
  if not found then
    raise exception using errcode = 'PT404', message = 'tenant_user_not_found', detail = 'no such tenant user';
  end if;
  perform private.caller_role(v_user.tenant_id);
  if not private.is_tenant_admin(v_user.tenant_id) then
    raise exception using errcode = '42501', message = 'not_tenant_admin';
  end if;
  if v_user.bot_onboarding_status = 'completed' then
    raise exception using message = 'already_completed';
  end if;
  update public.tenant_users
  set telegram_chat_id = p_chat_id, bot_onboarding_status = 'completed', bot_onboarding_completed_at = now(),
      bot_onboarding_error = null, is_active = true, bot_start_token_hash = null
  where id = v_user.id returning * into v_user;
  perform private.notify_tenant(v_user, v_user.bot_correlation_id, 'onboarding', 'Completed',
    format('%s was completed by hand', v_user.email), 'success');
  perform private.onboarding_event(v_user, v_user.bot_correlation_id, 'force_completed',
    jsonb_build_object('by', auth.uid(), 'reason', btrim(p_reason)));
  return jsonb_build_object('status', 'completed', 'forced', true);
end
$$;

-- 4. Custom roles, bounded ---------------------------------------------------------------------------

-- Whether the caller may change or delete a role holding `p_permissions`: an owner may
-- change any custom role; anyone else, only one holding strictly less than they do.
create function private.may_change_role(p_organization_id uuid, p_permissions text[])
returns boolean language sql stable security definer set search_path = '' as $$
  select private.caller_role(p_organization_id) = 'owner'
      or (p_permissions <@ private.caller_permissions(p_organization_id)
          and not private.caller_permissions(p_organization_id) <@ p_permissions)
$$;
revoke all on function private.may_change_role(uuid, text[]) from public;
comment on function private.may_change_role(uuid, text[]) is 'Whether the caller may change or delete a custom role holding these permissions: owners any; others only a role holding strictly less than they do (as change_member_role moves members).';

create or replace function private.managed_role(p_role_id uuid)
returns public.organization_roles language plpgsql security definer set search_path = '' as $$
declare
  v_role public.organization_roles;
begin
  select * into v_role from public.organization_roles where id = p_role_id;
  if not found or v_role.organization_id is null or private.caller_role(v_role.organization_id) is null then
    raise exception using errcode = 'PT404', message = 'role_not_found', detail = 'no such custom role (system roles do not change)';
  end if;
  perform private.require_permission(v_role.organization_id, 'org:roles:manage', 'only those who manage roles change them');
  select * into v_role from public.organization_roles where id = p_role_id for update;
  if not private.may_change_role(v_role.organization_id, v_role.permissions) then
    raise exception using errcode = '42501', message = 'role_too_high',
      detail = 'you may change only roles that hold less than yours';
  end if;
  return v_role;
end
$$;
comment on function private.managed_role(uuid) is 'The custom role, locked, for those who manage the organization''s roles and may change this one (see may_change_role).';

create or replace function public.update_role(p_role_id uuid, p_name text, p_permissions text[])
returns jsonb language plpgsql security definer set search_path = '' as $$
declare
  v_role public.organization_roles := private.managed_role(p_role_id);
  v_before jsonb := private.role_view(v_role);
  v_permissions text[] := private.checked_permissions(v_role.organization_id, p_permissions);
begin
  if not private.may_change_role(v_role.organization_id, v_permissions) then
    raise exception using errcode = '42501', message = 'role_too_high',
      detail = 'a role you change must hold less than yours';
  end if;
  update public.organization_roles
  set name = private.role_name(p_name), permissions = v_permissions
  where id = p_role_id returning * into v_role;
  perform private.audit(v_role.organization_id, 'role.updated', null, null, v_before, private.role_view(v_role));
  return private.role_view(v_role);
end
$$;
comment on function public.update_role(uuid, text, text[]) is 'Renames the role and sets its permissions: its members have the new ones from their next request. A non-owner changes only roles holding less than they do, and keeps them so.';

create or replace function public.delete_role(p_role_id uuid)
returns jsonb language plpgsql security definer set search_path = '' as $$
declare
  v_role public.organization_roles := private.managed_role(p_role_id);
begin
  if exists (select 1 from public.organization_members where organization_id = v_role.organization_id and role = v_role.key)
     or exists (select 1 from public.onboarding_invites
                where organization_id = v_role.organization_id and role = v_role.key and status = 'pending')
     or exists (select 1 from public.invite_links
                where organization_id = v_role.organization_id and role = v_role.key
                  and revoked_at is null and expires_at > now() and (max_uses is null or uses < max_uses)) then
    raise exception using errcode = 'PT409', message = 'role_in_use',
      detail = 'members, pending invitations or active invite links hold this role: give them another first';
  end if;
  delete from public.organization_roles where id = p_role_id;
  perform private.audit(v_role.organization_id, 'role.deleted', null, null, private.role_view(v_role), null);
  return jsonb_build_object('id', p_role_id, 'key', v_role.key, 'deleted', true);
end
$$;
comment on function public.delete_role(uuid) is 'Deletes the role; refused while a member, a pending invitation or an active invite link holds it, and, for a non-owner, when it holds as much as they do.';

-- 5 (and 2). Export: the time of the export, and allowed during the grace period ---------------------

create or replace function public.export_organization_page(p_organization_id uuid, p_section text, p_after text default null,
                                                           p_limit integer default 500)
returns jsonb language plpgsql stable security definer set search_path = '' as $_$
declare
  v_query text := private.export_query(p_section);
  v_permissions text[] := private.caller_permissions(p_organization_id);
  v_rows jsonb;
  v_last text;
  v_count integer;
begin
  -- Not caller_role: an organization scheduled for deletion may still be exported.
  if cardinality(v_permissions) = 0 then
    perform private.refuse_platform_admin_below_aal2();
    raise exception using errcode = '42501', message = 'not_member', detail = 'you are not a member of this organization';
  end if;
  perform private.require_mfa_met(p_organization_id);
  if not v_permissions @> array['org:audit:read', 'org:settings:manage'] then
    raise exception using errcode = '42501', message = 'not_org_admin',
      detail = 'exporting takes org:audit:read and org:settings:manage';
  end if;
  if v_query is null then
    raise exception using errcode = '22023', message = 'invalid_section', detail = format('no section %L', left(p_section, 50));
  end if;
  if p_limit is null or p_limit not between 1 and 1000 then
    raise exception using errcode = '22023', message = 'invalid_arguments', detail = 'p_limit: 1-1000';
  end if;
  execute format('select coalesce(jsonb_agg(row order by key), ''[]''), max(key), count(*)
                  from (select key, row from (%s) s(key, row) where key > $2 order by key limit $3) page', v_query)
    into v_rows, v_last, v_count using p_organization_id, coalesce(p_after, ''), p_limit;
  return jsonb_build_object('rows', v_rows, 'next', case when v_count = p_limit then v_last end, 'at', now());
end
$_$;
comment on function public.export_organization_page(uuid, text, text, integer) is 'One page of one section: `{rows, next, at}` — `next` is the key to pass as `p_after` for the following page, null after the last; `at` the database''s time (the first page''s is the export''s). For holders of both org:audit:read and org:settings:manage, also while the organization is scheduled for deletion.';

-- 6. Credentials first ---------------------------------------------------------------------------------

-- For a route that takes a service-role JWT (while legacy keys are on) and has nothing to
-- ask the database this time (the Telegram dispatcher with Make not configured): PostgREST
-- verifies the token's signature and expiry on this call, and only the service role may
-- execute it, so nothing is answered to a caller the database would refuse.
create function public.confirm_service_role()
returns boolean language sql stable set search_path = '' as $$ select true $$;
revoke all on function public.confirm_service_role() from public, anon, authenticated;
grant execute on function public.confirm_service_role() to service_role;
comment on function public.confirm_service_role() is 'True for the service role; PostgREST refuses anyone else. A function checks a presented service-role JWT with it before answering without any other database call.';
