-- Ways in: the current definition (supabase/migrations/ builds exactly this; `make test` checks it).
-- Function bodies may name objects of later files: they are checked when called.
set check_function_bodies = false;

-- FUNCTION accept_invite_link(uuid)
CREATE FUNCTION private.accept_invite_link(p_link_id uuid) RETURNS jsonb
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
declare
  v_link public.invite_links;
  v_user auth.users;
  v_membership jsonb;
begin
  select * into v_link from public.invite_links where id = p_link_id for update;
  perform private.check_invite_link(v_link);
  select * into v_user from auth.users where id = auth.uid();
  if v_user.email_confirmed_at is null then
    raise exception using message = 'email_not_confirmed';
  end if;
  if v_link.allowed_domain is not null and private.email_hostname(v_user.email) is distinct from v_link.allowed_domain then
    raise exception using message = 'invite_link_wrong_domain', detail = v_link.allowed_domain;
  end if;
  if not exists (select 1 from public.organization_members
                 where organization_id = v_link.organization_id and user_id = v_user.id) then
    if not private.seat_available(v_link.organization_id) then
      raise exception using message = 'member_limit_reached';
    end if;
    update public.invite_links set uses = uses + 1 where id = p_link_id;
  end if;
  v_membership := private.join_organization(v_link.organization_id, v_user, v_link.role, 'invite_link');
  return v_membership || jsonb_build_object('redirect_to', private.landing_page(v_link.organization_id));
end
$$;

-- COMMENT FUNCTION accept_invite_link(p_link_id uuid)
COMMENT ON FUNCTION private.accept_invite_link(p_link_id uuid) IS 'The signed-in user joins through the link: the link row is locked, so concurrent accepts count its uses one after another and never past `max_uses`. A member already gets their membership back, unchanged, and uses nothing.';

-- ACL FUNCTION accept_invite_link(p_link_id uuid)
REVOKE ALL ON FUNCTION private.accept_invite_link(p_link_id uuid) FROM PUBLIC;

-- FUNCTION accept_invite_row(uuid)
CREATE FUNCTION private.accept_invite_row(p_invite_id uuid) RETURNS jsonb
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
declare
  v_user auth.users;
  v_invite public.onboarding_invites;
  v_membership jsonb;
begin
  select * into v_invite from public.onboarding_invites where id = p_invite_id for update;
  if not found then
    raise exception using message = 'invite_not_found';
  elsif v_invite.status = 'revoked' then
    raise exception using message = 'invite_revoked';
  end if;
  select * into v_user from auth.users where id = auth.uid();
  if v_user.id is null or lower(v_user.email) is distinct from v_invite.email then
    raise exception using message = 'invite_wrong_user';
  end if;
  if v_invite.status = 'accepted' then
    if v_invite.accepted_by is distinct from v_user.id then
      raise exception using message = 'invite_already_accepted';
    end if;
    -- The same user again: the same answer.
    select jsonb_build_object('organization_id', m.organization_id, 'membership_id', m.id, 'role', m.role)
    into v_membership from public.organization_members m
    where m.organization_id = v_invite.organization_id and m.user_id = v_user.id;
  else
    if v_invite.status = 'expired' or v_invite.expires_at <= now() then
      raise exception using message = 'invite_expired';
    end if;
    if v_user.email_confirmed_at is null then
      raise exception using message = 'email_not_confirmed';
    end if;
    if v_invite.domain_id is not null and not exists (
        select 1 from public.organization_domains
        where id = v_invite.domain_id and verified_at is not null and enrollment_mode = 'automatic_invitation'
          and hostname = private.email_hostname(v_user.email)) then
      raise exception using message = 'invite_revoked';
    end if;
    -- An email invite sets the role it names; a domain's invite never changes a member's.
    v_membership := private.join_organization(v_invite.organization_id, v_user, v_invite.role,
      case when v_invite.domain_id is null then 'invite' else 'domain_invite' end, v_invite.domain_id is null);
    update public.onboarding_invites
    set status = 'accepted', accepted_at = now(), accepted_by = v_user.id
    where id = v_invite.id;
  end if;
  return coalesce(v_membership, jsonb_build_object('organization_id', v_invite.organization_id))
         || jsonb_build_object('redirect_to', private.landing_page(v_invite.organization_id));
end
$$;

-- COMMENT FUNCTION accept_invite_row(p_invite_id uuid)
COMMENT ON FUNCTION private.accept_invite_row(p_invite_id uuid) IS 'The caller accepts the invite (row locked: concurrent accepts yield one membership). The invite must be for the caller''s confirmed email; a domain''s invite also needs the domain still verified and inviting.';

-- ACL FUNCTION accept_invite_row(p_invite_id uuid)
REVOKE ALL ON FUNCTION private.accept_invite_row(p_invite_id uuid) FROM PUBLIC;

-- FUNCTION add_domain(uuid, text)
CREATE FUNCTION private.add_domain(p_organization_id uuid, p_hostname text) RETURNS public.organization_domains
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
declare
  v_hostname text := rtrim(lower(btrim(coalesce(p_hostname, ''))), '.');
  v_refusal text;
  v_domain public.organization_domains;
begin
  if not private.is_hostname(v_hostname) then
    raise exception using errcode = '22023', message = 'invalid_hostname',
      detail = 'hostname: a DNS name such as acme.com (labels of a-z, 0-9, -)';
  end if;
  v_refusal := private.domain_refusal(v_hostname);
  if v_refusal is not null then
    raise exception using errcode = '22023', message = 'domain_not_allowed', detail = v_hostname || ' is ' || v_refusal;
  end if;
  if exists (select 1 from public.organization_domains
             where hostname = v_hostname and verified_at is not null and organization_id <> p_organization_id) then
    raise exception using errcode = '23505', message = 'domain_taken',
      detail = 'another organization has verified this hostname';
  end if;
  select * into v_domain from public.organization_domains
  where organization_id = p_organization_id and hostname = v_hostname;
  if found then
    return v_domain;
  end if;
  if (select count(*) from public.organization_domains where organization_id = p_organization_id) >= 20 then
    raise exception using errcode = 'PT403', message = 'domain_limit_reached',
      detail = 'an organization has at most 20 domains: remove one first';
  end if;
  insert into public.organization_domains (organization_id, hostname, txt_name, txt_value, created_by)
  values (p_organization_id, v_hostname, '_onboarding-verification.' || v_hostname,
          'onboarding-verification=' || encode(extensions.gen_random_bytes(16), 'hex'), auth.uid())
  returning * into v_domain;
  perform private.audit(p_organization_id, 'domain.added', null, null, null,
                        jsonb_build_object('domain_id', v_domain.id, 'hostname', v_hostname));
  return v_domain;
end
$$;

-- COMMENT FUNCTION add_domain(p_organization_id uuid, p_hostname text)
COMMENT ON FUNCTION private.add_domain(p_organization_id uuid, p_hostname text) IS 'The organization''s domain for this hostname, added (unverified, with a fresh challenge) when it has none. Refuses invalid hostnames, webmail and public suffixes, a hostname another organization verified, and more than 20 domains. Callers check the caller.';

-- ACL FUNCTION add_domain(p_organization_id uuid, p_hostname text)
REVOKE ALL ON FUNCTION private.add_domain(p_organization_id uuid, p_hostname text) FROM PUBLIC;

-- FUNCTION administered_domain(uuid, text)
CREATE FUNCTION private.administered_domain(p_domain_id uuid, p_what text) RETURNS public.organization_domains
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
declare
  v_domain public.organization_domains;
begin
  select * into v_domain from public.organization_domains where id = p_domain_id;
  if not found or private.caller_role(v_domain.organization_id) is null then
    raise exception using errcode = 'PT404', message = 'domain_not_found', detail = 'no such domain';
  end if;
  perform private.require_permission(v_domain.organization_id, 'org:domains:manage', 'only those who manage domains ' || p_what);
  select * into v_domain from public.organization_domains where id = p_domain_id for update;
  return v_domain;
end
$$;

-- COMMENT FUNCTION administered_domain(p_domain_id uuid, p_what text)
COMMENT ON FUNCTION private.administered_domain(p_domain_id uuid, p_what text) IS 'The domain, locked, for its organization''s owners and admins; `domain_not_found` for everyone else who is not a member (a member who is not an admin: `not_org_admin`).';

-- ACL FUNCTION administered_domain(p_domain_id uuid, p_what text)
REVOKE ALL ON FUNCTION private.administered_domain(p_domain_id uuid, p_what text) FROM PUBLIC;

-- FUNCTION check_domain(uuid)
CREATE FUNCTION private.check_domain(p_domain_id uuid) RETURNS jsonb
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
declare
  v_domain public.organization_domains;
  v_response record;
  v_result text;
begin
  select * into v_domain from public.organization_domains where id = p_domain_id for update;
  if v_domain.verified_at is null and v_domain.lookup_request_id is not null then
    select status_code, content, timed_out into v_response
    from net._http_response where id = v_domain.lookup_request_id;
    if found then
      v_result := case
        when v_response.status_code = 200 and private.doh_has_txt(v_response.content, v_domain.txt_name, v_domain.txt_value)
          then 'verified'
        when v_response.status_code = 200 then 'not_found'
        else 'lookup_failed' end;
      begin
        update public.organization_domains set
          lookup_request_id = null, last_checked_at = now(), last_check_result = v_result,
          verified_at = case when v_result = 'verified' then now() end
        where id = p_domain_id
        returning * into v_domain;
      exception when unique_violation then
        -- Another organization verified this hostname first.
        raise exception using errcode = '23505', message = 'domain_taken',
          detail = 'another organization has verified this hostname';
      end;
      if v_result = 'verified' then
        update public.organization_onboarding_phases set done = true
        where organization_id = v_domain.organization_id and phase = 'domain-verification'
          and data ->> 'hostname' = v_domain.hostname;
        perform private.audit(v_domain.organization_id, 'domain.verified', null, null, null,
                              jsonb_build_object('domain_id', v_domain.id, 'hostname', v_domain.hostname));
      end if;
      return private.domain_view(v_domain);
    elsif v_domain.lookup_requested_at > now() - interval '30 seconds' then
      return private.domain_view(v_domain);
    end if;
    -- No answer after 30 s (pg_net delivers at most once): ask again.
  end if;
  if v_domain.verified_at is not null then
    return private.domain_view(v_domain);
  end if;
  if exists (select 1 from public.organization_domains
             where hostname = v_domain.hostname and verified_at is not null and id <> v_domain.id) then
    raise exception using errcode = '23505', message = 'domain_taken',
      detail = 'another organization has verified this hostname';
  end if;
  update public.organization_domains set
    lookup_request_id = net.http_get(
      private.setting('doh_url', 'https://cloudflare-dns.com/dns-query'),
      jsonb_build_object('name', v_domain.txt_name, 'type', 'TXT'),
      '{"accept": "application/dns-json"}'::jsonb, 5000),
    lookup_requested_at = now()
  where id = p_domain_id
  returning * into v_domain;
  return private.domain_view(v_domain);
end
$$;

-- COMMENT FUNCTION check_domain(p_domain_id uuid)
COMMENT ON FUNCTION private.check_domain(p_domain_id uuid) IS 'One check of a domain''s TXT record over DNS-over-HTTPS (pg_net): reads the answer of the lookup in flight, else starts one. Returns the domain as domain_view shows it. Only this domain''s row changes.';

-- ACL FUNCTION check_domain(p_domain_id uuid)
REVOKE ALL ON FUNCTION private.check_domain(p_domain_id uuid) FROM PUBLIC;

-- FUNCTION check_grantable_role(uuid, text, boolean)
CREATE FUNCTION private.check_grantable_role(p_organization_id uuid, p_role text, p_custom boolean) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
begin
  if p_role is null or not private.role_exists(p_organization_id, p_role)
     or (not p_custom and p_role not in ('owner', 'admin', 'recruiter', 'viewer')) then
    raise exception using errcode = '22023', message = 'invalid_role',
      detail = case when p_custom then 'role must be admin, recruiter, viewer or one of the organization''s roles'
                    else 'role must be admin, recruiter or viewer' end;
  end if;
  if p_role = 'owner' or not private.may_grant(p_organization_id, p_role) then
    raise exception using errcode = '42501', message = 'role_too_high',
      detail = 'never owner, and never a role holding a permission you lack';
  end if;
end
$$;

-- COMMENT FUNCTION check_grantable_role(p_organization_id uuid, p_role text, p_custom boolean)
COMMENT ON FUNCTION private.check_grantable_role(p_organization_id uuid, p_role text, p_custom boolean) IS 'A role an owner or admin may grant through a domain, a link or a request: one that exists there (a custom role only where `p_custom`), never owner, holding nothing the granter lacks.';

-- ACL FUNCTION check_grantable_role(p_organization_id uuid, p_role text, p_custom boolean)
REVOKE ALL ON FUNCTION private.check_grantable_role(p_organization_id uuid, p_role text, p_custom boolean) FROM PUBLIC;

-- TABLE invite_links
CREATE TABLE public.invite_links (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    organization_id uuid NOT NULL,
    token_hash text NOT NULL,
    role text NOT NULL,
    max_uses integer,
    uses integer DEFAULT 0 NOT NULL,
    expires_at timestamp with time zone NOT NULL,
    allowed_domain text,
    revoked_at timestamp with time zone,
    created_by uuid,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT invite_links_allowed_domain_check CHECK ((char_length(allowed_domain) <= 253)),
    CONSTRAINT invite_links_check CHECK (((uses >= 0) AND ((max_uses IS NULL) OR (uses <= max_uses)))),
    CONSTRAINT invite_links_max_uses_check CHECK (((max_uses >= 1) AND (max_uses <= 10000))),
    CONSTRAINT invite_links_role_check CHECK ((role <> 'owner'::text)),
    CONSTRAINT invite_links_token_hash_check CHECK ((token_hash ~ '^[0-9a-f]{64}$'::text))
);

-- COMMENT TABLE invite_links
COMMENT ON TABLE public.invite_links IS 'Shareable invite links: not bound to an email; the token is shown once, stored hashed.';

-- COMMENT COLUMN invite_links.role
COMMENT ON COLUMN public.invite_links.role IS 'A system role below owner, or one of the organization''s custom roles.';

-- ACL COLUMN invite_links.created_at
GRANT SELECT(created_at) ON TABLE public.invite_links TO authenticated;

-- ACL COLUMN invite_links.created_by
GRANT SELECT(created_by) ON TABLE public.invite_links TO authenticated;

-- ACL COLUMN invite_links.revoked_at
GRANT SELECT(revoked_at) ON TABLE public.invite_links TO authenticated;

-- ACL COLUMN invite_links.allowed_domain
GRANT SELECT(allowed_domain) ON TABLE public.invite_links TO authenticated;

-- ACL COLUMN invite_links.expires_at
GRANT SELECT(expires_at) ON TABLE public.invite_links TO authenticated;

-- ACL COLUMN invite_links.uses
GRANT SELECT(uses) ON TABLE public.invite_links TO authenticated;

-- ACL COLUMN invite_links.max_uses
GRANT SELECT(max_uses) ON TABLE public.invite_links TO authenticated;

-- ACL COLUMN invite_links.role
GRANT SELECT(role) ON TABLE public.invite_links TO authenticated;

-- ACL COLUMN invite_links.organization_id
GRANT SELECT(organization_id) ON TABLE public.invite_links TO authenticated;

-- ACL COLUMN invite_links.id
GRANT SELECT(id) ON TABLE public.invite_links TO authenticated;

-- ACL TABLE invite_links
GRANT ALL ON TABLE public.invite_links TO service_role;

-- FUNCTION check_invite_link(public.invite_links)
CREATE FUNCTION private.check_invite_link(p_link public.invite_links) RETURNS void
    LANGUAGE plpgsql STABLE
    SET search_path TO ''
    AS $$
begin
  if p_link.revoked_at is not null then
    raise exception using message = 'invite_revoked';
  elsif p_link.expires_at <= now() then
    raise exception using message = 'invite_expired';
  elsif p_link.uses >= p_link.max_uses then
    raise exception using message = 'invite_link_used_up';
  end if;
end
$$;

-- COMMENT FUNCTION check_invite_link(p_link public.invite_links)
COMMENT ON FUNCTION private.check_invite_link(p_link public.invite_links) IS 'A link''s state, as validate-invite and accept-invite answer it.';

-- ACL FUNCTION check_invite_link(p_link public.invite_links)
REVOKE ALL ON FUNCTION private.check_invite_link(p_link public.invite_links) FROM PUBLIC;

-- FUNCTION confirmed_caller()
CREATE FUNCTION private.confirmed_caller() RETURNS auth.users
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO ''
    AS $$
declare
  v_user auth.users;
begin
  select * into v_user from auth.users where id = auth.uid();
  if v_user.id is null then
    raise exception using errcode = '42501', message = 'not_signed_in', detail = 'sign in first';
  elsif v_user.email_confirmed_at is null then
    raise exception using errcode = '42501', message = 'email_not_confirmed', detail = 'confirm your email address first';
  end if;
  return v_user;
end
$$;

-- COMMENT FUNCTION confirmed_caller()
COMMENT ON FUNCTION private.confirmed_caller() IS 'The signed-in user with a confirmed email, or `not_signed_in` / `email_not_confirmed`.';

-- ACL FUNCTION confirmed_caller()
REVOKE ALL ON FUNCTION private.confirmed_caller() FROM PUBLIC;

-- FUNCTION domain_refusal(text)
CREATE FUNCTION private.domain_refusal(p_hostname text) RETURNS text
    LANGUAGE sql STABLE
    SET search_path TO ''
    AS $_$
  select case
    when exists (select 1 from private.free_email_domains where hostname = p_hostname)
      then 'a free or public webmail domain: anyone can have an address there'
    when exists (select 1 from private.public_suffix_rules where rule = p_hostname)
      or (exists (select 1 from private.public_suffix_rules
                  where rule = '*.' || substring(p_hostname from '^[^.]+\.(.+)$'))
          and not exists (select 1 from private.public_suffix_rules where rule = '!' || p_hostname))
      then 'a public suffix: names under it belong to different owners'
  end
$_$;

-- COMMENT FUNCTION domain_refusal(p_hostname text)
COMMENT ON FUNCTION private.domain_refusal(p_hostname text) IS 'Why no organization may claim this hostname (null when it may): a free or public webmail domain, or a public suffix (co.uk, github.io, anything under a `*.` rule).';

-- ACL FUNCTION domain_refusal(p_hostname text)
REVOKE ALL ON FUNCTION private.domain_refusal(p_hostname text) FROM PUBLIC;

-- FUNCTION domain_view(public.organization_domains)
CREATE FUNCTION private.domain_view(p_domain public.organization_domains) RETURNS jsonb
    LANGUAGE sql STABLE
    SET search_path TO ''
    AS $$
  select jsonb_build_object(
    'id', p_domain.id, 'organization_id', p_domain.organization_id, 'hostname', p_domain.hostname,
    'status', case when p_domain.verified_at is not null then 'verified'
                   when p_domain.lookup_request_id is not null then 'checking'
                   else coalesce(p_domain.last_check_result, 'unverified') end,
    'verified', p_domain.verified_at is not null, 'verified_at', p_domain.verified_at,
    'checked_at', p_domain.last_checked_at,
    'enrollment_mode', p_domain.enrollment_mode, 'default_role', p_domain.default_role,
    'txt_record', jsonb_build_object('type', 'TXT', 'name', p_domain.txt_name, 'value', p_domain.txt_value))
$$;

-- COMMENT FUNCTION domain_view(p_domain public.organization_domains)
COMMENT ON FUNCTION private.domain_view(p_domain public.organization_domains) IS 'A domain as its organization''s members see it.';

-- ACL FUNCTION domain_view(p_domain public.organization_domains)
REVOKE ALL ON FUNCTION private.domain_view(p_domain public.organization_domains) FROM PUBLIC;

-- FUNCTION email_hostname(text)
CREATE FUNCTION private.email_hostname(p_email text) RETURNS text
    LANGUAGE sql IMMUTABLE
    AS $$
  select nullif(lower(split_part(p_email, '@', 2)), '')
$$;

-- COMMENT FUNCTION email_hostname(p_email text)
COMMENT ON FUNCTION private.email_hostname(p_email text) IS 'The hostname of a confirmed email address, lower case.';

-- ACL FUNCTION email_hostname(p_email text)
REVOKE ALL ON FUNCTION private.email_hostname(p_email text) FROM PUBLIC;

-- FUNCTION invite_confirmed_user_through_domains()
CREATE FUNCTION private.invite_confirmed_user_through_domains() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
declare
  v_domain public.organization_domains;
begin
  if tg_op = 'UPDATE' and old.email_confirmed_at is not distinct from new.email_confirmed_at
     and old.email is not distinct from new.email then
    return null;
  end if;
  -- The hostname the user is found by: only while the address is confirmed.
  if new.email_confirmed_at is null or private.email_hostname(new.email) is null then
    delete from private.confirmed_email_hostnames where user_id = new.id;
    return null;
  end if;
  insert into private.confirmed_email_hostnames (user_id, hostname)
  values (new.id, private.email_hostname(new.email))
  on conflict (user_id) do update set hostname = excluded.hostname;
  if tg_op = 'UPDATE' and old.email_confirmed_at is not null and old.email is not distinct from new.email then
    return null;
  end if;
  for v_domain in select * from public.organization_domains
                  where hostname = private.email_hostname(new.email) and verified_at is not null
                    and enrollment_mode = 'automatic_invitation'
                  order by created_at loop
    perform private.invite_through_domain(v_domain, new.email);
  end loop;
  return null;
end
$$;

-- COMMENT FUNCTION invite_confirmed_user_through_domains()
COMMENT ON FUNCTION private.invite_confirmed_user_through_domains() IS 'At email confirmation (and when a confirmed address changes): keeps the address''s hostname in private.confirmed_email_hostnames, and makes the invites of every verified automatic_invitation domain at it.';

-- ACL FUNCTION invite_confirmed_user_through_domains()
REVOKE ALL ON FUNCTION private.invite_confirmed_user_through_domains() FROM PUBLIC;

-- FUNCTION invite_link_view(public.invite_links)
CREATE FUNCTION private.invite_link_view(p_link public.invite_links) RETURNS jsonb
    LANGUAGE sql STABLE
    SET search_path TO ''
    AS $$
  select jsonb_build_object(
    'id', p_link.id, 'organization_id', p_link.organization_id, 'role', p_link.role,
    'max_uses', p_link.max_uses, 'uses', p_link.uses,
    'uses_left', case when p_link.max_uses is not null then p_link.max_uses - p_link.uses end,
    'expires_at', p_link.expires_at, 'allowed_domain', p_link.allowed_domain,
    'revoked_at', p_link.revoked_at, 'created_by', p_link.created_by, 'created_at', p_link.created_at,
    'status', case when p_link.revoked_at is not null then 'revoked'
                   when p_link.expires_at <= now() then 'expired'
                   when p_link.uses >= p_link.max_uses then 'used_up'
                   else 'active' end)
$$;

-- ACL FUNCTION invite_link_view(p_link public.invite_links)
REVOKE ALL ON FUNCTION private.invite_link_view(p_link public.invite_links) FROM PUBLIC;

-- FUNCTION invite_through_domain(public.organization_domains, text)
CREATE FUNCTION private.invite_through_domain(p_domain public.organization_domains, p_email text) RETURNS boolean
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
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

-- COMMENT FUNCTION invite_through_domain(p_domain public.organization_domains, p_email text)
COMMENT ON FUNCTION private.invite_through_domain(p_domain public.organization_domains, p_email text) IS 'A pending invite from a verified `automatic_invitation` domain for this address, unless it is a member, already has a pending invite, or no seat is left. True when one was made.';

-- ACL FUNCTION invite_through_domain(p_domain public.organization_domains, p_email text)
REVOKE ALL ON FUNCTION private.invite_through_domain(p_domain public.organization_domains, p_email text) FROM PUBLIC;

-- FUNCTION join_organization(uuid, auth.users, text, text, boolean)
CREATE FUNCTION private.join_organization(p_organization_id uuid, p_user auth.users, p_role text, p_via text, p_set_role boolean DEFAULT false) RETURNS jsonb
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
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

-- COMMENT FUNCTION join_organization(p_organization_id uuid, p_user auth.users, p_role text, p_via text, p_set_role boolean)
COMMENT ON FUNCTION private.join_organization(p_organization_id uuid, p_user auth.users, p_role text, p_via text, p_set_role boolean) IS 'Adds the user to the organization (never a second membership) and makes it their active one; `p_via` says how they came in. Every way in ends here, so an organization scheduled for deletion takes no new member by any of them (`organization_deletion_scheduled`).';

-- ACL FUNCTION join_organization(p_organization_id uuid, p_user auth.users, p_role text, p_via text, p_set_role boolean)
REVOKE ALL ON FUNCTION private.join_organization(p_organization_id uuid, p_user auth.users, p_role text, p_via text, p_set_role boolean) FROM PUBLIC;

-- TABLE organization_join_requests
CREATE TABLE public.organization_join_requests (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    organization_id uuid NOT NULL,
    user_id uuid NOT NULL,
    email text NOT NULL,
    domain_id uuid,
    status text DEFAULT 'pending'::text NOT NULL,
    role text,
    decided_by uuid,
    decided_at timestamp with time zone,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT organization_join_requests_check CHECK (((status = 'pending'::text) = (decided_at IS NULL))),
    CONSTRAINT organization_join_requests_role_check CHECK ((role = ANY (ARRAY['admin'::text, 'recruiter'::text, 'viewer'::text]))),
    CONSTRAINT organization_join_requests_status_check CHECK ((status = ANY (ARRAY['pending'::text, 'approved'::text, 'denied'::text])))
);

-- COMMENT TABLE organization_join_requests
COMMENT ON TABLE public.organization_join_requests IS 'Requests to join an organization that suggests itself to a verified domain''s users.';

-- ACL TABLE organization_join_requests
GRANT ALL ON TABLE public.organization_join_requests TO service_role;
GRANT SELECT ON TABLE public.organization_join_requests TO authenticated;

-- FUNCTION join_request_view(public.organization_join_requests)
CREATE FUNCTION private.join_request_view(p_request public.organization_join_requests) RETURNS jsonb
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path TO ''
    AS $$
  select jsonb_build_object(
    'id', p_request.id, 'organization_id', p_request.organization_id,
    'organization_name', (select name from public.organizations where id = p_request.organization_id),
    'user_id', p_request.user_id, 'email', p_request.email,
    'full_name', (select full_name from public.profiles where id = p_request.user_id),
    'status', p_request.status, 'role', p_request.role, 'created_at', p_request.created_at,
    'decided_at', p_request.decided_at)
$$;

-- ACL FUNCTION join_request_view(p_request public.organization_join_requests)
REVOKE ALL ON FUNCTION private.join_request_view(p_request public.organization_join_requests) FROM PUBLIC;

-- FUNCTION landing_page(uuid)
CREATE FUNCTION private.landing_page(p_organization_id uuid) RETURNS text
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path TO ''
    AS $$
  select case when status = 'pending-activation' then '/onboarding/' else '/org/' end || id
         || case when status = 'pending-activation' then '' else '/team' end
  from public.organizations where id = p_organization_id
$$;

-- COMMENT FUNCTION landing_page(p_organization_id uuid)
COMMENT ON FUNCTION private.landing_page(p_organization_id uuid) IS 'Where a new member lands: setup while the organization is pending, else its team.';

-- ACL FUNCTION landing_page(p_organization_id uuid)
REVOKE ALL ON FUNCTION private.landing_page(p_organization_id uuid) FROM PUBLIC;

-- FUNCTION pending_join_request(uuid)
CREATE FUNCTION private.pending_join_request(p_request_id uuid, OUT o_request public.organization_join_requests, OUT o_role text) RETURNS record
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
begin
  select * into o_request from public.organization_join_requests where id = p_request_id;
  if not found or private.caller_role(o_request.organization_id) is null then
    raise exception using errcode = 'PT404', message = 'request_not_found', detail = 'no such join request';
  end if;
  o_role := private.require_permission(o_request.organization_id, 'org:members:manage', 'only those who manage members decide join requests');
  select * into o_request from public.organization_join_requests where id = p_request_id for update;
  if o_request.status <> 'pending' then
    raise exception using errcode = 'PT409', message = 'join_request_not_pending',
      detail = format('the request is already %s', o_request.status);
  end if;
end
$$;

-- COMMENT FUNCTION pending_join_request(p_request_id uuid, OUT o_request public.organization_join_requests, OUT o_role text)
COMMENT ON FUNCTION private.pending_join_request(p_request_id uuid, OUT o_request public.organization_join_requests, OUT o_role text) IS 'The request, locked, for its organization''s owners and admins (`request_not_found` for anyone else), still pending (`join_request_not_pending`). Returns the granter''s role.';

-- ACL FUNCTION pending_join_request(p_request_id uuid, OUT o_request public.organization_join_requests, OUT o_role text)
REVOKE ALL ON FUNCTION private.pending_join_request(p_request_id uuid, OUT o_request public.organization_join_requests, OUT o_role text) FROM PUBLIC;

-- FUNCTION require_seat(uuid)
CREATE FUNCTION private.require_seat(p_organization_id uuid) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
begin
  if not private.seat_available(p_organization_id) then
    raise exception using errcode = 'PT403', message = 'member_limit_reached',
      detail = 'the plan''s member limit is reached (pending invites included)';
  end if;
end
$$;

-- ACL FUNCTION require_seat(p_organization_id uuid)
REVOKE ALL ON FUNCTION private.require_seat(p_organization_id uuid) FROM PUBLIC;

-- FUNCTION seat_available(uuid)
CREATE FUNCTION private.seat_available(p_organization_id uuid) RETURNS boolean
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

-- COMMENT FUNCTION seat_available(p_organization_id uuid)
COMMENT ON FUNCTION private.seat_available(p_organization_id uuid) IS 'Whether the plan has a seat for one more member (pending invites hold seats). Locks the organization, so concurrent joins count one after another.';

-- ACL FUNCTION seat_available(p_organization_id uuid)
REVOKE ALL ON FUNCTION private.seat_available(p_organization_id uuid) FROM PUBLIC;

-- FUNCTION verified_domain_for(uuid, text)
CREATE FUNCTION private.verified_domain_for(p_organization_id uuid, p_email text) RETURNS public.organization_domains
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path TO ''
    AS $$
  select * from public.organization_domains
  where organization_id = p_organization_id and hostname = private.email_hostname(p_email) and verified_at is not null
$$;

-- COMMENT FUNCTION verified_domain_for(p_organization_id uuid, p_email text)
COMMENT ON FUNCTION private.verified_domain_for(p_organization_id uuid, p_email text) IS 'The verified domain of the organization at the user''s email hostname (any mode), if any.';

-- ACL FUNCTION verified_domain_for(p_organization_id uuid, p_email text)
REVOKE ALL ON FUNCTION private.verified_domain_for(p_organization_id uuid, p_email text) FROM PUBLIC;

-- FUNCTION accept_invite_by_id(uuid)
CREATE FUNCTION public.accept_invite_by_id(p_invite_id uuid) RETURNS jsonb
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
begin
  if auth.uid() is null then
    raise exception using errcode = '42501', message = 'not_signed_in', detail = 'sign in first';
  end if;
  return private.accept_invite_row(p_invite_id);
end
$$;

-- COMMENT FUNCTION accept_invite_by_id(p_invite_id uuid)
COMMENT ON FUNCTION public.accept_invite_by_id(p_invite_id uuid) IS 'The invitee accepts an invite from my_invites() by its id: one never emailed (a verified domain''s) too. Only the signed-in user whose confirmed email it is for.';

-- ACL FUNCTION accept_invite_by_id(p_invite_id uuid)
REVOKE ALL ON FUNCTION public.accept_invite_by_id(p_invite_id uuid) FROM PUBLIC;
GRANT ALL ON FUNCTION public.accept_invite_by_id(p_invite_id uuid) TO authenticated;
GRANT ALL ON FUNCTION public.accept_invite_by_id(p_invite_id uuid) TO service_role;

-- FUNCTION add_organization_domain(uuid, text)
CREATE FUNCTION public.add_organization_domain(p_organization_id uuid, p_hostname text) RETURNS jsonb
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
declare
  v_existing boolean;
  v_domain public.organization_domains;
begin
  perform private.require_permission(p_organization_id, 'org:domains:manage', 'only those who manage domains add them');
  v_existing := exists (select 1 from public.organization_domains
                        where organization_id = p_organization_id
                          and hostname = rtrim(lower(btrim(coalesce(p_hostname, ''))), '.'));
  v_domain := private.add_domain(p_organization_id, p_hostname);
  return private.domain_view(v_domain) || jsonb_build_object('existing', v_existing);
end
$$;

-- COMMENT FUNCTION add_organization_domain(p_organization_id uuid, p_hostname text)
COMMENT ON FUNCTION public.add_organization_domain(p_organization_id uuid, p_hostname text) IS 'Adds a domain to the organization: the TXT record to publish comes back. Adding the same hostname again returns the same domain (`existing`); other domains are left as they are.';

-- ACL FUNCTION add_organization_domain(p_organization_id uuid, p_hostname text)
REVOKE ALL ON FUNCTION public.add_organization_domain(p_organization_id uuid, p_hostname text) FROM PUBLIC;
GRANT ALL ON FUNCTION public.add_organization_domain(p_organization_id uuid, p_hostname text) TO authenticated;

-- FUNCTION approve_join_request(uuid, text)
CREATE FUNCTION public.approve_join_request(p_request_id uuid, p_role text DEFAULT NULL::text) RETURNS jsonb
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
declare
  v_pending record := private.pending_join_request(p_request_id);
  v_request public.organization_join_requests := v_pending.o_request;
  v_user auth.users;
  v_domain public.organization_domains;
  v_role text;
  v_membership jsonb;
begin
  select * into v_user from auth.users where id = v_request.user_id;
  v_domain := private.verified_domain_for(v_request.organization_id, v_user.email);
  if v_domain.id is null or v_user.email_confirmed_at is null then
    raise exception using errcode = 'PT409', message = 'domain_not_verified',
      detail = 'the requester''s email domain is no longer verified for this organization';
  end if;
  v_role := coalesce(p_role, v_domain.default_role);
  perform private.check_grantable_role(v_request.organization_id, v_role, false);
  if not exists (select 1 from public.organization_members
                 where organization_id = v_request.organization_id and user_id = v_user.id) then
    perform private.require_seat(v_request.organization_id);
  end if;
  v_membership := private.join_organization(v_request.organization_id, v_user, v_role, 'join_request');
  update public.organization_join_requests set status = 'approved', role = v_membership ->> 'role',
    decided_by = auth.uid(), decided_at = now()
  where id = p_request_id returning * into v_request;
  return private.join_request_view(v_request) || jsonb_build_object('membership_id', v_membership -> 'membership_id');
end
$$;

-- COMMENT FUNCTION approve_join_request(p_request_id uuid, p_role text)
COMMENT ON FUNCTION public.approve_join_request(p_request_id uuid, p_role text) IS 'Approves: the requester becomes a member with `p_role` (by default the domain''s role), while their domain is still verified and a seat is left.';

-- ACL FUNCTION approve_join_request(p_request_id uuid, p_role text)
REVOKE ALL ON FUNCTION public.approve_join_request(p_request_id uuid, p_role text) FROM PUBLIC;
GRANT ALL ON FUNCTION public.approve_join_request(p_request_id uuid, p_role text) TO authenticated;

-- FUNCTION create_invite_link(uuid, text, integer, integer, text)
CREATE FUNCTION public.create_invite_link(p_organization_id uuid, p_role text DEFAULT 'viewer'::text, p_max_uses integer DEFAULT NULL::integer, p_expires_in_hours integer DEFAULT 168, p_allowed_domain text DEFAULT NULL::text) RETURNS jsonb
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
declare
  v_role text := private.require_permission(p_organization_id, 'org:members:invite', 'only those who invite create invite links');
  v_token text := translate(encode(extensions.gen_random_bytes(32), 'base64'), '+/=', '-_');
  v_domain text := rtrim(lower(btrim(p_allowed_domain)), '.');
  v_link public.invite_links;
begin
  perform private.check_grantable_role(p_organization_id, p_role, true);
  if p_max_uses is not null and p_max_uses not between 1 and 10000 then
    raise exception using errcode = '22023', message = 'invalid_max_uses', detail = 'max_uses: 1-10000, or none';
  end if;
  if p_expires_in_hours is null or p_expires_in_hours not between 1 and 720 then
    raise exception using errcode = '22023', message = 'invalid_ttl', detail = 'expires_in_hours: 1-720 (30 days)';
  end if;
  if v_domain is not null then
    if not private.is_hostname(v_domain) then
      raise exception using errcode = '22023', message = 'invalid_hostname',
        detail = 'allowed_domain: a DNS name such as acme.com';
    elsif private.domain_refusal(v_domain) is not null then
      raise exception using errcode = '22023', message = 'domain_not_allowed',
        detail = v_domain || ' is ' || private.domain_refusal(v_domain);
    end if;
  end if;
  insert into public.invite_links (organization_id, token_hash, role, max_uses, expires_at, allowed_domain, created_by)
  values (p_organization_id, encode(sha256(convert_to(v_token, 'UTF8')), 'hex'), p_role, p_max_uses,
          now() + make_interval(hours => p_expires_in_hours), v_domain, auth.uid())
  returning * into v_link;
  perform private.audit(p_organization_id, 'invite_link.created', null, null, null,
    jsonb_strip_nulls(jsonb_build_object('link_id', v_link.id, 'role', v_link.role, 'max_uses', v_link.max_uses,
                                         'expires_at', v_link.expires_at, 'allowed_domain', v_link.allowed_domain)));
  return private.invite_link_view(v_link) || jsonb_build_object('token', v_token);
end
$$;

-- COMMENT FUNCTION create_invite_link(p_organization_id uuid, p_role text, p_max_uses integer, p_expires_in_hours integer, p_allowed_domain text)
COMMENT ON FUNCTION public.create_invite_link(p_organization_id uuid, p_role text, p_max_uses integer, p_expires_in_hours integer, p_allowed_domain text) IS 'A link anyone holding it may use to join (with a confirmed email; at `p_allowed_domain` when given), as `p_role`, at most `p_max_uses` times, for `p_expires_in_hours`. The token (32 bytes from the CSPRNG, base64url) is returned this once; only its SHA-256 is kept.';

-- ACL FUNCTION create_invite_link(p_organization_id uuid, p_role text, p_max_uses integer, p_expires_in_hours integer, p_allowed_domain text)
REVOKE ALL ON FUNCTION public.create_invite_link(p_organization_id uuid, p_role text, p_max_uses integer, p_expires_in_hours integer, p_allowed_domain text) FROM PUBLIC;
GRANT ALL ON FUNCTION public.create_invite_link(p_organization_id uuid, p_role text, p_max_uses integer, p_expires_in_hours integer, p_allowed_domain text) TO authenticated;

-- FUNCTION deny_join_request(uuid)
CREATE FUNCTION public.deny_join_request(p_request_id uuid) RETURNS jsonb
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
declare
  v_request public.organization_join_requests := (private.pending_join_request(p_request_id)).o_request;
begin
  update public.organization_join_requests set status = 'denied', decided_by = auth.uid(), decided_at = now()
  where id = p_request_id returning * into v_request;
  perform private.audit(v_request.organization_id, 'member.join_request_denied', v_request.user_id, null, null,
                        jsonb_build_object('request_id', v_request.id, 'email', v_request.email));
  return private.join_request_view(v_request);
end
$$;

-- ACL FUNCTION deny_join_request(p_request_id uuid)
REVOKE ALL ON FUNCTION public.deny_join_request(p_request_id uuid) FROM PUBLIC;
GRANT ALL ON FUNCTION public.deny_join_request(p_request_id uuid) TO authenticated;

-- FUNCTION list_invite_links(uuid)
CREATE FUNCTION public.list_invite_links(p_organization_id uuid) RETURNS jsonb
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO ''
    AS $$
begin
  if private.caller_role(p_organization_id) is null or not public.authorize(p_organization_id, 'org:members:invite') then
    raise exception using errcode = '42501', message = 'not_org_admin', detail = 'only those who invite see invite links';
  end if;
  return (select coalesce(jsonb_agg(private.invite_link_view(l) order by l.created_at desc), '[]'::jsonb)
          from public.invite_links l where l.organization_id = p_organization_id);
end
$$;

-- ACL FUNCTION list_invite_links(p_organization_id uuid)
REVOKE ALL ON FUNCTION public.list_invite_links(p_organization_id uuid) FROM PUBLIC;
GRANT ALL ON FUNCTION public.list_invite_links(p_organization_id uuid) TO authenticated;

-- FUNCTION list_join_requests(uuid)
CREATE FUNCTION public.list_join_requests(p_organization_id uuid) RETURNS jsonb
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO ''
    AS $$
begin
  if private.caller_role(p_organization_id) is null or not public.authorize(p_organization_id, 'org:members:manage') then
    raise exception using errcode = '42501', message = 'not_org_admin', detail = 'only those who manage members see join requests';
  end if;
  return (select coalesce(jsonb_agg(private.join_request_view(r)
                            order by r.status = 'pending' desc, r.created_at desc), '[]'::jsonb)
          from (select * from public.organization_join_requests
                where organization_id = p_organization_id and status = 'pending'
                union all
                (select * from public.organization_join_requests
                 where organization_id = p_organization_id and status <> 'pending'
                 order by decided_at desc limit 100)) r);
end
$$;

-- COMMENT FUNCTION list_join_requests(p_organization_id uuid)
COMMENT ON FUNCTION public.list_join_requests(p_organization_id uuid) IS 'The organization''s requests for its owners and admins: pending first, then the latest 100 decided.';

-- ACL FUNCTION list_join_requests(p_organization_id uuid)
REVOKE ALL ON FUNCTION public.list_join_requests(p_organization_id uuid) FROM PUBLIC;
GRANT ALL ON FUNCTION public.list_join_requests(p_organization_id uuid) TO authenticated;

-- FUNCTION my_join_requests()
CREATE FUNCTION public.my_join_requests() RETURNS jsonb
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path TO ''
    AS $$
  select coalesce(jsonb_agg(private.join_request_view(r) order by r.created_at desc), '[]'::jsonb)
  from public.organization_join_requests r where r.user_id = auth.uid()
$$;

-- COMMENT FUNCTION my_join_requests()
COMMENT ON FUNCTION public.my_join_requests() IS 'The caller''s requests, newest first, each with its outcome.';

-- ACL FUNCTION my_join_requests()
REVOKE ALL ON FUNCTION public.my_join_requests() FROM PUBLIC;
GRANT ALL ON FUNCTION public.my_join_requests() TO authenticated;

-- FUNCTION my_suggestions()
CREATE FUNCTION public.my_suggestions() RETURNS jsonb
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path TO ''
    AS $$
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

-- COMMENT FUNCTION my_suggestions()
COMMENT ON FUNCTION public.my_suggestions() IS 'Organizations that suggest themselves to the caller: a verified automatic_suggestion domain at their confirmed email''s hostname, and they are not a member. With the state of their request, if they made one.';

-- ACL FUNCTION my_suggestions()
REVOKE ALL ON FUNCTION public.my_suggestions() FROM PUBLIC;
GRANT ALL ON FUNCTION public.my_suggestions() TO authenticated;

-- FUNCTION remove_organization_domain(uuid)
CREATE FUNCTION public.remove_organization_domain(p_domain_id uuid) RETURNS jsonb
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
declare
  v_domain public.organization_domains := private.administered_domain(p_domain_id, 'remove domains');
begin
  update public.onboarding_invites set status = 'revoked', revoked_at = now()
  where domain_id = p_domain_id and status = 'pending';
  delete from public.organization_domains where id = p_domain_id;
  update public.organization_onboarding_phases set done = false
  where organization_id = v_domain.organization_id and phase = 'domain-verification'
    and data ->> 'hostname' = v_domain.hostname;
  perform private.audit(v_domain.organization_id, 'domain.removed', null, null, null,
                        jsonb_build_object('domain_id', v_domain.id, 'hostname', v_domain.hostname));
  return jsonb_build_object('id', p_domain_id, 'hostname', v_domain.hostname, 'removed', true);
end
$$;

-- COMMENT FUNCTION remove_organization_domain(p_domain_id uuid)
COMMENT ON FUNCTION public.remove_organization_domain(p_domain_id uuid) IS 'Removes the domain: its enrollment stops (pending invites it made are revoked); no other domain changes.';

-- ACL FUNCTION remove_organization_domain(p_domain_id uuid)
REVOKE ALL ON FUNCTION public.remove_organization_domain(p_domain_id uuid) FROM PUBLIC;
GRANT ALL ON FUNCTION public.remove_organization_domain(p_domain_id uuid) TO authenticated;

-- FUNCTION request_to_join(uuid)
CREATE FUNCTION public.request_to_join(p_organization_id uuid) RETURNS jsonb
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

-- COMMENT FUNCTION request_to_join(p_organization_id uuid)
COMMENT ON FUNCTION public.request_to_join(p_organization_id uuid) IS 'Asks to join an organization that suggests itself to the caller. A request while one is pending returns that request (`existing`); after a denial, no new request.';

-- ACL FUNCTION request_to_join(p_organization_id uuid)
REVOKE ALL ON FUNCTION public.request_to_join(p_organization_id uuid) FROM PUBLIC;
GRANT ALL ON FUNCTION public.request_to_join(p_organization_id uuid) TO authenticated;

-- FUNCTION revoke_invite_link(uuid)
CREATE FUNCTION public.revoke_invite_link(p_link_id uuid) RETURNS jsonb
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
declare
  v_link public.invite_links;
begin
  select * into v_link from public.invite_links where id = p_link_id;
  if not found or private.caller_role(v_link.organization_id) is null then
    raise exception using errcode = 'PT404', message = 'invite_link_not_found', detail = 'no such invite link';
  end if;
  perform private.require_permission(v_link.organization_id, 'org:members:invite', 'only those who invite revoke invite links');
  update public.invite_links set revoked_at = coalesce(revoked_at, now()) where id = p_link_id returning * into v_link;
  perform private.audit(v_link.organization_id, 'invite_link.revoked', null, null, null,
                        jsonb_build_object('link_id', v_link.id));
  return private.invite_link_view(v_link);
end
$$;

-- ACL FUNCTION revoke_invite_link(p_link_id uuid)
REVOKE ALL ON FUNCTION public.revoke_invite_link(p_link_id uuid) FROM PUBLIC;
GRANT ALL ON FUNCTION public.revoke_invite_link(p_link_id uuid) TO authenticated;

-- FUNCTION set_domain_enrollment(uuid, text, text)
CREATE FUNCTION public.set_domain_enrollment(p_domain_id uuid, p_mode text, p_default_role text DEFAULT 'viewer'::text) RETURNS jsonb
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
declare
  v_domain public.organization_domains := private.administered_domain(p_domain_id, 'change enrollment');
  v_before jsonb := jsonb_build_object('enrollment_mode', v_domain.enrollment_mode, 'default_role', v_domain.default_role);
  v_user record;
  v_invited integer := 0;
  v_skipped integer := 0;
begin
  if p_mode is null or p_mode not in ('manual', 'automatic_invitation', 'automatic_suggestion') then
    raise exception using errcode = '22023', message = 'invalid_enrollment_mode',
      detail = 'mode: manual, automatic_invitation or automatic_suggestion';
  end if;
  perform private.check_grantable_role(v_domain.organization_id, p_default_role, false);
  if v_domain.verified_at is null then
    raise exception using errcode = 'PT409', message = 'domain_not_verified',
      detail = 'verify the domain before choosing how its users come in';
  end if;
  update public.organization_domains set enrollment_mode = p_mode, default_role = p_default_role
  where id = p_domain_id returning * into v_domain;
  if p_mode <> 'automatic_invitation' then
    update public.onboarding_invites set status = 'revoked', revoked_at = now()
    where domain_id = p_domain_id and status = 'pending';
  else
    update public.onboarding_invites set role = p_default_role
    where domain_id = p_domain_id and status = 'pending' and role <> p_default_role;
    -- The confirmed users at the hostname, through its index (not a read of auth.users).
    for v_user in select u.email from private.confirmed_email_hostnames h
                  join auth.users u on u.id = h.user_id
                  where h.hostname = v_domain.hostname and u.email_confirmed_at is not null
                  order by u.created_at loop
      if private.invite_through_domain(v_domain, v_user.email) then
        v_invited := v_invited + 1;
      elsif not private.seat_available(v_domain.organization_id)
            and not exists (select 1 from public.organization_members m join auth.users u on u.id = m.user_id
                            where m.organization_id = v_domain.organization_id and lower(u.email) = lower(v_user.email))
            and not exists (select 1 from public.onboarding_invites
                            where organization_id = v_domain.organization_id and email = lower(v_user.email)
                              and status = 'pending') then
        v_skipped := v_skipped + 1;
      end if;
    end loop;
  end if;
  if v_before is distinct from jsonb_build_object('enrollment_mode', p_mode, 'default_role', p_default_role) then
    perform private.audit(v_domain.organization_id, 'domain.enrollment_changed', null, null, v_before,
      jsonb_build_object('domain_id', v_domain.id, 'hostname', v_domain.hostname,
                         'enrollment_mode', p_mode, 'default_role', p_default_role));
  end if;
  return private.domain_view(v_domain) || jsonb_build_object('invited', v_invited, 'skipped_for_seats', v_skipped);
end
$$;

-- COMMENT FUNCTION set_domain_enrollment(p_domain_id uuid, p_mode text, p_default_role text)
COMMENT ON FUNCTION public.set_domain_enrollment(p_domain_id uuid, p_mode text, p_default_role text) IS 'Sets how users at a verified domain come in: `manual` (by invitation only), `automatic_invitation` (a pending invite at confirmation; for confirmed users already there, now) or `automatic_suggestion` (they may ask to join), and the role they get.';

-- ACL FUNCTION set_domain_enrollment(p_domain_id uuid, p_mode text, p_default_role text)
REVOKE ALL ON FUNCTION public.set_domain_enrollment(p_domain_id uuid, p_mode text, p_default_role text) FROM PUBLIC;
GRANT ALL ON FUNCTION public.set_domain_enrollment(p_domain_id uuid, p_mode text, p_default_role text) TO authenticated;

-- FUNCTION verify_organization_domain(uuid)
CREATE FUNCTION public.verify_organization_domain(p_domain_id uuid) RETURNS jsonb
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
begin
  perform private.administered_domain(p_domain_id, 'verify domains');
  return private.check_domain(p_domain_id);
end
$$;

-- COMMENT FUNCTION verify_organization_domain(p_domain_id uuid)
COMMENT ON FUNCTION public.verify_organization_domain(p_domain_id uuid) IS 'Checks the domain''s TXT record: `checking` (poll again), then `verified`, `not_found` or `lookup_failed`. A hostname verified by another organization: `domain_taken`.';

-- ACL FUNCTION verify_organization_domain(p_domain_id uuid)
REVOKE ALL ON FUNCTION public.verify_organization_domain(p_domain_id uuid) FROM PUBLIC;
GRANT ALL ON FUNCTION public.verify_organization_domain(p_domain_id uuid) TO authenticated;

-- TABLE confirmed_email_hostnames
CREATE TABLE private.confirmed_email_hostnames (
    user_id uuid NOT NULL,
    hostname text NOT NULL
);

-- COMMENT TABLE confirmed_email_hostnames
COMMENT ON TABLE private.confirmed_email_hostnames IS 'The hostname of every confirmed email address, kept by the trigger on auth.users that watches confirmations: what enrollment by domain looks users up by (auth.users cannot be indexed by the project).';

-- TABLE domain_lists
CREATE TABLE private.domain_lists (
    list text NOT NULL,
    source text NOT NULL,
    version text NOT NULL,
    upstream text NOT NULL,
    integrity text NOT NULL,
    entries integer NOT NULL,
    loaded_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT domain_lists_entries_check CHECK ((entries > 0)),
    CONSTRAINT domain_lists_list_check CHECK ((list = ANY (ARRAY['free_email'::text, 'public_suffix'::text])))
);

-- COMMENT TABLE domain_lists
COMMENT ON TABLE private.domain_lists IS 'Where the lists of domains nobody may claim come from: each list''s source, version and tarball integrity (written by tools/scripts/domain_lists.py''s migration).';

-- TABLE free_email_domains
CREATE TABLE private.free_email_domains (
    hostname text NOT NULL
);

-- COMMENT TABLE free_email_domains
COMMENT ON TABLE private.free_email_domains IS 'Free and public webmail domains (HubSpot''s list, npm free-email-domains): no organization may claim or verify one.';

-- TABLE public_suffix_rules
CREATE TABLE private.public_suffix_rules (
    rule text NOT NULL
);

-- COMMENT TABLE public_suffix_rules
COMMENT ON TABLE private.public_suffix_rules IS 'Rules as the list writes them: `co.uk`, `*.ck` (every name under ck), `!www.ck` (an exception).';

-- CONSTRAINT confirmed_email_hostnames confirmed_email_hostnames_pkey
ALTER TABLE ONLY private.confirmed_email_hostnames
    ADD CONSTRAINT confirmed_email_hostnames_pkey PRIMARY KEY (user_id);

-- CONSTRAINT domain_lists domain_lists_pkey
ALTER TABLE ONLY private.domain_lists
    ADD CONSTRAINT domain_lists_pkey PRIMARY KEY (list);

-- CONSTRAINT free_email_domains free_email_domains_pkey
ALTER TABLE ONLY private.free_email_domains
    ADD CONSTRAINT free_email_domains_pkey PRIMARY KEY (hostname);

-- CONSTRAINT public_suffix_rules public_suffix_rules_pkey
ALTER TABLE ONLY private.public_suffix_rules
    ADD CONSTRAINT public_suffix_rules_pkey PRIMARY KEY (rule);

-- CONSTRAINT invite_links invite_links_pkey
ALTER TABLE ONLY public.invite_links
    ADD CONSTRAINT invite_links_pkey PRIMARY KEY (id);

-- CONSTRAINT invite_links invite_links_token_hash_key
ALTER TABLE ONLY public.invite_links
    ADD CONSTRAINT invite_links_token_hash_key UNIQUE (token_hash);

-- CONSTRAINT organization_join_requests organization_join_requests_pkey
ALTER TABLE ONLY public.organization_join_requests
    ADD CONSTRAINT organization_join_requests_pkey PRIMARY KEY (id);

-- INDEX confirmed_email_hostnames_hostname_idx
CREATE INDEX confirmed_email_hostnames_hostname_idx ON private.confirmed_email_hostnames USING btree (hostname);

-- INDEX invite_links_organization_idx
CREATE INDEX invite_links_organization_idx ON public.invite_links USING btree (organization_id, created_at);

-- INDEX onboarding_invites_domain_idx
CREATE INDEX onboarding_invites_domain_idx ON public.onboarding_invites USING btree (domain_id) WHERE (domain_id IS NOT NULL);

-- INDEX organization_join_requests_domain_idx
CREATE INDEX organization_join_requests_domain_idx ON public.organization_join_requests USING btree (domain_id) WHERE (domain_id IS NOT NULL);

-- INDEX organization_join_requests_one_pending
CREATE UNIQUE INDEX organization_join_requests_one_pending ON public.organization_join_requests USING btree (organization_id, user_id) WHERE (status = 'pending'::text);

-- INDEX organization_join_requests_user_idx
CREATE INDEX organization_join_requests_user_idx ON public.organization_join_requests USING btree (user_id);

-- TRIGGER users invite_confirmed_user_through_domains
CREATE TRIGGER invite_confirmed_user_through_domains AFTER INSERT OR UPDATE OF email_confirmed_at, email ON auth.users FOR EACH ROW EXECUTE FUNCTION private.invite_confirmed_user_through_domains();

-- TRIGGER invite_links check_role_exists
CREATE TRIGGER check_role_exists BEFORE INSERT OR UPDATE OF role ON public.invite_links FOR EACH ROW EXECUTE FUNCTION private.check_role_exists();

-- TRIGGER organization_join_requests touch_updated_at
CREATE TRIGGER touch_updated_at BEFORE UPDATE ON public.organization_join_requests FOR EACH ROW EXECUTE FUNCTION private.touch_updated_at();

-- FK CONSTRAINT confirmed_email_hostnames confirmed_email_hostnames_user_id_fkey
ALTER TABLE ONLY private.confirmed_email_hostnames
    ADD CONSTRAINT confirmed_email_hostnames_user_id_fkey FOREIGN KEY (user_id) REFERENCES auth.users(id) ON DELETE CASCADE;

-- FK CONSTRAINT invite_links invite_links_created_by_fkey
ALTER TABLE ONLY public.invite_links
    ADD CONSTRAINT invite_links_created_by_fkey FOREIGN KEY (created_by) REFERENCES auth.users(id) ON DELETE SET NULL;

-- FK CONSTRAINT invite_links invite_links_organization_id_fkey
ALTER TABLE ONLY public.invite_links
    ADD CONSTRAINT invite_links_organization_id_fkey FOREIGN KEY (organization_id) REFERENCES public.organizations(id) ON DELETE CASCADE;

-- FK CONSTRAINT organization_join_requests organization_join_requests_decided_by_fkey
ALTER TABLE ONLY public.organization_join_requests
    ADD CONSTRAINT organization_join_requests_decided_by_fkey FOREIGN KEY (decided_by) REFERENCES auth.users(id) ON DELETE SET NULL;

-- FK CONSTRAINT organization_join_requests organization_join_requests_domain_id_fkey
ALTER TABLE ONLY public.organization_join_requests
    ADD CONSTRAINT organization_join_requests_domain_id_fkey FOREIGN KEY (domain_id) REFERENCES public.organization_domains(id) ON DELETE SET NULL;

-- FK CONSTRAINT organization_join_requests organization_join_requests_organization_id_fkey
ALTER TABLE ONLY public.organization_join_requests
    ADD CONSTRAINT organization_join_requests_organization_id_fkey FOREIGN KEY (organization_id) REFERENCES public.organizations(id) ON DELETE CASCADE;

-- FK CONSTRAINT organization_join_requests organization_join_requests_user_id_fkey
ALTER TABLE ONLY public.organization_join_requests
    ADD CONSTRAINT organization_join_requests_user_id_fkey FOREIGN KEY (user_id) REFERENCES auth.users(id) ON DELETE CASCADE;

-- ROW SECURITY confirmed_email_hostnames
ALTER TABLE private.confirmed_email_hostnames ENABLE ROW LEVEL SECURITY;

-- ROW SECURITY invite_links
ALTER TABLE public.invite_links ENABLE ROW LEVEL SECURITY;

-- POLICY invite_links inviters read their organization's links
CREATE POLICY "inviters read their organization's links" ON public.invite_links FOR SELECT TO authenticated USING ((organization_id = ANY (( SELECT private.permitted_organizations('org:members:invite'::text) AS permitted_organizations)::uuid[])));

-- POLICY organization_join_requests member managers and requesters read join requests
CREATE POLICY "member managers and requesters read join requests" ON public.organization_join_requests FOR SELECT TO authenticated USING (((organization_id = ANY (( SELECT private.permitted_organizations('org:members:manage'::text) AS permitted_organizations)::uuid[])) OR (user_id = ( SELECT auth.uid() AS uid))));

-- ROW SECURITY organization_join_requests
ALTER TABLE public.organization_join_requests ENABLE ROW LEVEL SECURITY;
