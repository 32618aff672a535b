-- The ways in (20261201000400) decided by permissions (20261201000410) instead of rank:
-- domains by `org:domains:manage`, links by `org:members:invite`, join requests by
-- `org:members:manage`, onboarding by `org:settings:manage` (billing: `org:billing:manage`);
-- an invite link may give a custom role (never owner); a role granted through a domain, a
-- link or a request holds nothing the granter lacks.

alter table public.invite_links drop constraint invite_links_role_check;
-- A system role below owner, or one of the organization's custom roles.
alter table public.invite_links add constraint invite_links_role_check check (role <> 'owner');
create trigger check_role_exists before insert or update of role on public.invite_links
  for each row execute function private.check_role_exists();

drop function private.lock_organization_as_admin(uuid, text);
drop function private.check_grantable_role(text, text);

-- A role an owner or admin may grant through a domain, a link or a request: one that exists
-- there (a custom role only where `p_custom`), never owner, holding nothing the granter lacks.
create function private.check_grantable_role(p_organization_id uuid, p_role text, p_custom boolean)
returns void language plpgsql security definer set search_path = '' as $$
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
revoke all on function private.check_grantable_role(uuid, text, boolean) from public;

create or replace function private.administered_domain(p_domain_id uuid, p_what text)
returns public.organization_domains language plpgsql security definer set search_path = '' as $$
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

create or replace function public.add_organization_domain(p_organization_id uuid, p_hostname text)
returns jsonb language plpgsql security definer set search_path = '' as $$
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

create or replace function public.set_domain_enrollment(p_domain_id uuid, p_mode text, p_default_role text default 'viewer')
returns jsonb language plpgsql security definer set search_path = '' as $$
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
    for v_user in select u.email from auth.users u
                  where u.email_confirmed_at is not null and private.email_hostname(u.email) = v_domain.hostname
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

create or replace function public.list_join_requests(p_organization_id uuid)
returns jsonb language plpgsql stable security definer set search_path = '' as $$
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

create or replace function private.pending_join_request(p_request_id uuid, out o_request public.organization_join_requests,
                                             out o_role text)
language plpgsql security definer set search_path = '' as $$
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

create or replace function public.approve_join_request(p_request_id uuid, p_role text default null)
returns jsonb language plpgsql security definer set search_path = '' as $$
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

create or replace function public.create_invite_link(p_organization_id uuid, p_role text default 'viewer',
                                          p_max_uses integer default null, p_expires_in_hours integer default 168,
                                          p_allowed_domain text default null)
returns jsonb language plpgsql security definer set search_path = '' as $$
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

create or replace function public.list_invite_links(p_organization_id uuid)
returns jsonb language plpgsql stable security definer set search_path = '' as $$
begin
  if private.caller_role(p_organization_id) is null or not public.authorize(p_organization_id, 'org:members:invite') then
    raise exception using errcode = '42501', message = 'not_org_admin', detail = 'only those who invite see invite links';
  end if;
  return (select coalesce(jsonb_agg(private.invite_link_view(l) order by l.created_at desc), '[]'::jsonb)
          from public.invite_links l where l.organization_id = p_organization_id);
end
$$;

create or replace function public.revoke_invite_link(p_link_id uuid)
returns jsonb language plpgsql security definer set search_path = '' as $$
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

create or replace function public.revoke_invite(p_invite_id uuid)
returns jsonb language plpgsql security definer set search_path = '' as $$
declare
  v_invite public.onboarding_invites;
begin
  select * into v_invite from public.onboarding_invites where id = p_invite_id for update;
  perform private.caller_role(v_invite.organization_id);
  if not found or not (private.is_platform_admin() or auth.role() = 'service_role'
                       or public.authorize(v_invite.organization_id, 'org:members:invite')) then
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

CREATE OR REPLACE FUNCTION public.save_onboarding_phase(p_organization_id uuid, p_phase text, p_data jsonb) RETURNS jsonb
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $_$
declare
  v_role text;
  v_features text[];
  v_title text;
  v_allowed text[];
  v_unknown text;
  v_data jsonb;
  v_done boolean := true;
  v_text text;
  v_url text;
  v_address jsonb;
  v_item jsonb;
  v_urls jsonb := '[]';
  v_api_key text;
  v_domain public.organization_domains;
begin
  if p_data is null or jsonb_typeof(p_data) <> 'object' or pg_column_size(p_data) > 32768 then
    raise exception using errcode = '22023', message = 'invalid_phase_data',
      detail = 'p_data must be a JSON object (at most 32 kB)';
  end if;
  v_role := private.lock_organization_as_member(p_organization_id);
  if not public.authorize(p_organization_id, case when p_phase = 'billing' then 'org:billing:manage' else 'org:settings:manage' end) then
    raise exception using errcode = '42501', message = 'not_org_admin',
      detail = 'only those who manage the organization''s settings (billing: its billing) save onboarding';
  end if;
  v_features := private.enabled_features(p_organization_id);
  select title into v_title from private.onboarding_phases(v_features) where key = p_phase;
  if not found then
    raise exception using errcode = '22023', message = 'invalid_phase', detail = format('no phase %L', p_phase);
  end if;
  if not exists (select 1 from private.onboarding_phases(v_features) where key = p_phase and shown) then
    raise exception using errcode = '42501', message = 'phase_not_available',
      detail = format('the organization''s features do not show the %s phase', p_phase);
  end if;

  v_allowed := case p_phase
    when 'organization-setup' then array['name', 'logo_url', 'industry', 'size_band', 'time_zone']
    when 'billing' then array['billing_email', 'legal_name', 'tax_id', 'address']
    when 'team' then array['completed']
    when 'privacy' then array['dpa_version', 'data_region']
    when 'domain-verification' then array['hostname']
    when 'brand-identity' then array['primary_color', 'accent_color', 'logo_url', 'sender_name']
    when 'integrations' then array['ats_provider', 'ats_api_key', 'webhook_urls']
  end;
  select key into v_unknown from jsonb_object_keys(p_data) key where key <> all (v_allowed) limit 1;
  if v_unknown is not null then
    raise exception using errcode = '22023', message = 'unknown_field',
      detail = format('%s has no field %L (fields: %s)', p_phase, v_unknown, array_to_string(v_allowed, ', '));
  end if;
  -- An explicit null is an absent optional field.
  p_data := jsonb_strip_nulls(p_data);

  if p_phase = 'organization-setup' then
    v_text := private.text_field(p_data -> 'name', 200);
    if v_text is null then
      raise exception using errcode = '22023', message = 'invalid_name', detail = 'name: 1-200 characters';
    end if;
    if p_data ? 'logo_url' and private.https_url(p_data -> 'logo_url') is null then
      raise exception using errcode = '22023', message = 'invalid_logo_url',
        detail = 'logo_url: an https URL of at most 2,048 characters';
    end if;
    if private.text_field(p_data -> 'industry', 100) is null then
      raise exception using errcode = '22023', message = 'invalid_industry', detail = 'industry: 1-100 characters';
    end if;
    if coalesce(p_data ->> 'size_band', '') <> all (array['1-10', '11-50', '51-200', '201-1000', '1001+'])
       or jsonb_typeof(p_data -> 'size_band') <> 'string' then
      raise exception using errcode = '22023', message = 'invalid_size_band',
        detail = 'size_band: one of 1-10, 11-50, 51-200, 201-1000, 1001+';
    end if;
    if jsonb_typeof(p_data -> 'time_zone') is distinct from 'string' or not private.is_time_zone(p_data ->> 'time_zone') then
      raise exception using errcode = '22023', message = 'invalid_time_zone',
        detail = 'time_zone: an IANA time zone name such as Europe/Berlin';
    end if;
    v_data := jsonb_build_object('name', v_text, 'industry', private.text_field(p_data -> 'industry', 100),
                                 'size_band', p_data -> 'size_band', 'time_zone', p_data -> 'time_zone')
              || jsonb_strip_nulls(jsonb_build_object('logo_url', p_data -> 'logo_url'));
    update public.organizations set name = v_text where id = p_organization_id and name is distinct from v_text;

  elsif p_phase = 'billing' then
    v_text := lower(private.text_field(p_data -> 'billing_email', 320));
    if v_text is null or v_text !~ '^[^@[:space:]]+@[^@[:space:]]+\.[^@[:space:]]+$' then
      raise exception using errcode = '22023', message = 'invalid_billing_email',
        detail = 'billing_email: an email address of at most 320 characters';
    end if;
    if private.text_field(p_data -> 'legal_name', 200) is null then
      raise exception using errcode = '22023', message = 'invalid_legal_name', detail = 'legal_name: 1-200 characters';
    end if;
    if p_data ? 'tax_id' and coalesce(private.text_field(p_data -> 'tax_id', 32) !~ '^[A-Za-z0-9][A-Za-z0-9 .-]{1,31}$', true) then
      raise exception using errcode = '22023', message = 'invalid_tax_id',
        detail = 'tax_id: 2-32 letters, digits, spaces, dots and dashes';
    end if;
    v_address := p_data -> 'address';
    if jsonb_typeof(v_address) is distinct from 'object'
       or exists (select 1 from jsonb_object_keys(v_address) k
                  where k <> all (array['line1', 'line2', 'city', 'postal_code', 'region', 'country']))
       or private.text_field(v_address -> 'line1', 200) is null
       or private.text_field(v_address -> 'city', 100) is null
       or (v_address ? 'line2' and private.text_field(v_address -> 'line2', 200) is null)
       or (v_address ? 'postal_code' and private.text_field(v_address -> 'postal_code', 20) is null)
       or (v_address ? 'region' and private.text_field(v_address -> 'region', 100) is null) then
      raise exception using errcode = '22023', message = 'invalid_address',
        detail = 'address: {line1 (1-200), city (1-100), country, and optional line2, postal_code (1-20), region}';
    end if;
    if jsonb_typeof(v_address -> 'country') is distinct from 'string' or not private.is_country_code(v_address ->> 'country') then
      raise exception using errcode = '22023', message = 'invalid_country',
        detail = 'address.country: an ISO 3166-1 alpha-2 code such as DE';
    end if;
    v_data := jsonb_build_object('billing_email', v_text, 'legal_name', private.text_field(p_data -> 'legal_name', 200))
              || jsonb_strip_nulls(jsonb_build_object('tax_id', private.text_field(p_data -> 'tax_id', 32)))
              || jsonb_build_object('address', v_address);
    insert into public.organization_billing as b (organization_id, billing_email, legal_name, tax_id,
      address_line1, address_line2, city, postal_code, region, country)
    values (p_organization_id, v_text, v_data ->> 'legal_name', v_data ->> 'tax_id',
      btrim(v_address ->> 'line1'), btrim(v_address ->> 'line2'), btrim(v_address ->> 'city'),
      btrim(v_address ->> 'postal_code'), btrim(v_address ->> 'region'), v_address ->> 'country')
    on conflict (organization_id) do update set
      billing_email = excluded.billing_email, legal_name = excluded.legal_name, tax_id = excluded.tax_id,
      address_line1 = excluded.address_line1, address_line2 = excluded.address_line2, city = excluded.city,
      postal_code = excluded.postal_code, region = excluded.region, country = excluded.country;

  elsif p_phase = 'team' then
    if jsonb_typeof(p_data -> 'completed') is distinct from 'boolean' then
      raise exception using errcode = '22023', message = 'invalid_completed',
        detail = 'completed: true when the team step is done (inviting is optional)';
    end if;
    v_data := jsonb_build_object('completed', p_data -> 'completed');
    v_done := (p_data ->> 'completed')::boolean;

  elsif p_phase = 'privacy' then
    if coalesce(private.text_field(p_data -> 'dpa_version', 32) !~ '^[0-9A-Za-z][0-9A-Za-z._-]*$', true) then
      raise exception using errcode = '22023', message = 'invalid_dpa_version',
        detail = 'dpa_version: the accepted data-processing terms version (1-32 letters, digits, . _ -)';
    end if;
    if jsonb_typeof(p_data -> 'data_region') is distinct from 'string'
       or (p_data ->> 'data_region') <> all (array['eu', 'us', 'uk', 'ca', 'ap', 'af', 'sa']) then
      raise exception using errcode = '22023', message = 'invalid_data_region',
        detail = 'data_region: one of eu, us, uk, ca, ap, af, sa';
    end if;
    v_data := jsonb_build_object('dpa_version', p_data -> 'dpa_version', 'data_region', p_data -> 'data_region',
                                 'accepted_at', now());

  elsif p_phase = 'domain-verification' then
    -- The phase's hostname is one of the organization's domains (added if need be); a new
    -- hostname adds a domain and leaves the others as they were.
    v_domain := private.add_domain(p_organization_id, private.text_field(p_data -> 'hostname', 253));
    v_data := jsonb_build_object('hostname', v_domain.hostname);
    v_done := v_domain.verified_at is not null;

  elsif p_phase = 'brand-identity' then
    if coalesce(p_data ->> 'primary_color', '') !~ '^#[0-9a-fA-F]{6}$' or jsonb_typeof(p_data -> 'primary_color') <> 'string' then
      raise exception using errcode = '22023', message = 'invalid_primary_color', detail = 'primary_color: #rrggbb';
    end if;
    if coalesce(p_data ->> 'accent_color', '') !~ '^#[0-9a-fA-F]{6}$' or jsonb_typeof(p_data -> 'accent_color') <> 'string' then
      raise exception using errcode = '22023', message = 'invalid_accent_color', detail = 'accent_color: #rrggbb';
    end if;
    if p_data ? 'logo_url' and private.https_url(p_data -> 'logo_url') is null then
      raise exception using errcode = '22023', message = 'invalid_logo_url',
        detail = 'logo_url: an https URL of at most 2,048 characters';
    end if;
    v_text := private.text_field(p_data -> 'sender_name', 100);
    if v_text is null or v_text ~ '[<>@"]' then
      raise exception using errcode = '22023', message = 'invalid_sender_name',
        detail = 'sender_name: 1-100 characters, none of < > @ "';
    end if;
    v_data := jsonb_build_object('primary_color', lower(p_data ->> 'primary_color'),
                                 'accent_color', lower(p_data ->> 'accent_color'), 'sender_name', v_text)
              || jsonb_strip_nulls(jsonb_build_object('logo_url', p_data -> 'logo_url'));

  elsif p_phase = 'integrations' then
    if p_data ? 'ats_provider' and private.text_field(p_data -> 'ats_provider', 100) is null then
      raise exception using errcode = '22023', message = 'invalid_ats_provider', detail = 'ats_provider: 1-100 characters';
    end if;
    if p_data ? 'webhook_urls' then
      if jsonb_typeof(p_data -> 'webhook_urls') <> 'array' or jsonb_array_length(p_data -> 'webhook_urls') not between 1 and 10 then
        raise exception using errcode = '22023', message = 'invalid_webhook_urls',
          detail = 'webhook_urls: 1-10 https URLs';
      end if;
      for v_item in select value from jsonb_array_elements(p_data -> 'webhook_urls') loop
        v_url := private.https_url(v_item);
        if v_url is null then
          raise exception using errcode = '22023', message = 'invalid_webhook_urls',
            detail = 'webhook_urls: each an https URL of at most 2,048 characters';
        end if;
        v_urls := v_urls || to_jsonb(v_url);
      end loop;
    end if;
    if not (p_data ? 'ats_provider' or p_data ? 'webhook_urls') then
      raise exception using errcode = '22023', message = 'invalid_integrations',
        detail = 'give ats_provider, webhook_urls, or both';
    end if;
    if p_data ? 'ats_api_key' then
      v_api_key := private.text_field(p_data -> 'ats_api_key', 200);
      if v_api_key is null or char_length(v_api_key) < 8 or not p_data ? 'ats_provider' then
        raise exception using errcode = '22023', message = 'invalid_ats_api_key',
          detail = 'ats_api_key: 8-200 characters, with ats_provider';
      end if;
      insert into private.integration_secrets (organization_id, ats_api_key) values (p_organization_id, v_api_key)
      on conflict (organization_id) do update set ats_api_key = excluded.ats_api_key, updated_at = now();
    elsif not p_data ? 'ats_provider' then
      delete from private.integration_secrets where organization_id = p_organization_id;
    end if;
    v_data := jsonb_strip_nulls(jsonb_build_object(
      'ats_provider', private.text_field(p_data -> 'ats_provider', 100),
      'webhook_urls', case when p_data ? 'webhook_urls' then v_urls end,
      -- Whether a key is stored; the key itself is never echoed.
      'ats_api_key_set', case when p_data ? 'ats_provider'
        then exists (select 1 from private.integration_secrets where organization_id = p_organization_id) end));
  end if;

  insert into public.organization_onboarding_phases as p (organization_id, phase, data, done, saved_at, saved_by)
  values (p_organization_id, p_phase, v_data, v_done, now(), auth.uid())
  on conflict (organization_id, phase) do update set
    data = excluded.data, done = excluded.done, saved_at = excluded.saved_at, saved_by = excluded.saved_by;
  perform private.audit(p_organization_id, 'onboarding.phase_saved', null, null, null,
                        jsonb_build_object('phase', p_phase, 'done', v_done));
  return private.onboarding_phase_view(p_organization_id, p_phase, v_title);
end
$_$;

create or replace function public.verify_domain(p_organization_id uuid)
returns jsonb language plpgsql security definer set search_path = '' as $$
declare
  v_domain_id uuid;
begin
  perform private.require_permission(p_organization_id, 'org:domains:manage', 'only those who manage domains verify them');
  if not ('custom-domain' = any (private.enabled_features(p_organization_id))) then
    raise exception using errcode = '42501', message = 'phase_not_available',
      detail = 'the organization''s features do not include custom-domain';
  end if;
  select d.id into v_domain_id from public.organization_domains d
  join public.organization_onboarding_phases p
    on p.organization_id = d.organization_id and p.phase = 'domain-verification' and p.data ->> 'hostname' = d.hostname
  where d.organization_id = p_organization_id;
  if not found then
    raise exception using errcode = 'PT409', message = 'domain_not_saved',
      detail = 'save the domain-verification phase with a hostname first';
  end if;
  return private.check_domain(v_domain_id);
end
$$;
