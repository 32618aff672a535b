-- Onboarding phases that save (seed 002): each phase's data validated and stored with who
-- and when, billing details into organization_billing, a custom domain verified through a
-- DNS-over-HTTPS TXT lookup (queued with pg_net), and an organization that activates only
-- once every phase its features show is done.
--
-- Field refusals are 400s whose stable code names the field (`invalid_logo_url`, …),
-- checked before anything is written.

-- Settings the database needs from its deployment (set by the stack and by provision) ---------

create table if not exists private.settings (
  key text primary key,
  value text not null
);
revoke all on private.settings from public;

create or replace function private.setting(p_key text, p_default text) returns text
language sql stable security definer set search_path = '' as $$
  select coalesce((select value from private.settings where key = p_key), p_default)
$$;
revoke execute on function private.setting(text, text) from public;

-- The DNS-over-HTTPS JSON endpoint (Cloudflare's and Google's API) domain checks query.
create or replace function private.configure_domain_verification(p_doh_url text) returns void
language plpgsql security definer set search_path = '' as $$
begin
  if p_doh_url !~ '^https?://[^[:space:]]+$' then
    raise exception using errcode = '22023', message = 'invalid_doh_url', detail = 'DOH_URL must be an http(s) URL';
  end if;
  insert into private.settings (key, value) values ('doh_url', p_doh_url)
  on conflict (key) do update set value = excluded.value;
end
$$;
revoke execute on function private.configure_domain_verification(text) from public;

-- Field checks (each returns null for a value it refuses) --------------------------------------

-- A JSON string, trimmed, 1..p_max characters, without control characters.
create or replace function private.text_field(p_value jsonb, p_max integer) returns text
language sql immutable set search_path = '' as $$
  select v from (select btrim(p_value #>> '{}') as v where jsonb_typeof(p_value) = 'string') s
  where char_length(v) between 1 and p_max and v !~ '[[:cntrl:]]'
$$;
revoke execute on function private.text_field(jsonb, integer) from public;

-- A DNS hostname as a custom domain needs it: lowercase labels of a-z, 0-9 and inner
-- dashes, at least two, a letter-only top-level label, at most 253 characters.
create or replace function private.is_hostname(p_value text) returns boolean
language sql immutable set search_path = '' as $$
  select coalesce(char_length(p_value) <= 253
    and p_value ~ '^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$', false)
$$;
revoke execute on function private.is_hostname(text) from public;

-- An https URL of at most 2,048 characters whose host is a hostname.
create or replace function private.https_url(p_value jsonb) returns text
language sql immutable set search_path = '' as $$
  select v from (select p_value #>> '{}' as v where jsonb_typeof(p_value) = 'string') s
  where char_length(v) <= 2048
    and v ~ '^https://[^[:space:]/?#@:]+(:[0-9]{1,5})?([/?#][^[:space:]]*)?$'
    and private.is_hostname(lower(substring(v from '^https://([^[:space:]/?#@:]+)')))
$$;
revoke execute on function private.https_url(jsonb) from public;

create or replace function private.is_time_zone(p_value text) returns boolean
language sql stable set search_path = '' as $$
  select coalesce(p_value !~ '^(posix|right)/' and exists (select 1 from pg_catalog.pg_timezone_names where name = p_value), false)
$$;
revoke execute on function private.is_time_zone(text) from public;

-- ISO 3166-1 alpha-2, the officially assigned codes.
create or replace function private.is_country_code(p_value text) returns boolean
language sql immutable set search_path = '' as $$
  select coalesce(p_value = any ('{AD,AE,AF,AG,AI,AL,AM,AO,AQ,AR,AS,AT,AU,AW,AX,AZ,BA,BB,BD,BE,BF,BG,BH,BI,BJ,BL,BM,BN,BO,BQ,BR,BS,BT,BV,BW,BY,BZ,CA,CC,CD,CF,CG,CH,CI,CK,CL,CM,CN,CO,CR,CU,CV,CW,CX,CY,CZ,DE,DJ,DK,DM,DO,DZ,EC,EE,EG,EH,ER,ES,ET,FI,FJ,FK,FM,FO,FR,GA,GB,GD,GE,GF,GG,GH,GI,GL,GM,GN,GP,GQ,GR,GS,GT,GU,GW,GY,HK,HM,HN,HR,HT,HU,ID,IE,IL,IM,IN,IO,IQ,IR,IS,IT,JE,JM,JO,JP,KE,KG,KH,KI,KM,KN,KP,KR,KW,KY,KZ,LA,LB,LC,LI,LK,LR,LS,LT,LU,LV,LY,MA,MC,MD,ME,MF,MG,MH,MK,ML,MM,MN,MO,MP,MQ,MR,MS,MT,MU,MV,MW,MX,MY,MZ,NA,NC,NE,NF,NG,NI,NL,NO,NP,NR,NU,NZ,OM,PA,PE,PF,PG,PH,PK,PL,PM,PN,PR,PS,PT,PW,PY,QA,RE,RO,RS,RU,RW,SA,SB,SC,SD,SE,SG,SH,SI,SJ,SK,SL,SM,SN,SO,SR,SS,ST,SV,SX,SY,SZ,TC,TD,TF,TG,TH,TJ,TK,TL,TM,TN,TO,TR,TT,TV,TW,TZ,UA,UG,UM,US,UY,UZ,VA,VC,VE,VG,VI,VN,VU,WF,WS,YE,YT,ZA,ZM,ZW}'::text[]), false)
$$;
revoke execute on function private.is_country_code(text) from public;

-- Phases --------------------------------------------------------------------------------------

-- The phases in screen order, and whether the organization's features show each.
create or replace function private.onboarding_phases(p_features text[])
returns table (phase_position integer, key text, title text, shown boolean)
language sql immutable set search_path = '' as $$
  values
    (1, 'organization-setup', 'Organization Setup', true),
    (2, 'domain-verification', 'Domain Verification', 'custom-domain' = any (p_features)),
    (3, 'brand-identity', 'Brand Identity', 'white-label' = any (p_features)),
    (4, 'billing', 'Billing', true),
    (5, 'team', 'Team', true),
    (6, 'integrations', 'Integrations', p_features && array['ats-api-sync', 'webhooks']),
    (7, 'privacy', 'Privacy', true)
$$;
revoke execute on function private.onboarding_phases(text[]) from public;

create table if not exists public.organization_onboarding_phases (
  organization_id uuid not null references public.organizations (id) on delete cascade,
  phase text not null check (phase in ('organization-setup', 'domain-verification', 'brand-identity',
                                       'billing', 'team', 'integrations', 'privacy')),
  -- What was saved, as validated; never a secret (those are in private.integration_secrets).
  data jsonb not null check (jsonb_typeof(data) = 'object'),
  done boolean not null default false,
  saved_at timestamptz not null default now(),
  saved_by uuid references auth.users (id) on delete set null,
  primary key (organization_id, phase)
);

-- Billing details, beside the billing email the platform admin set.
alter table public.organization_billing
  add column if not exists legal_name text check (char_length(legal_name) <= 200),
  add column if not exists tax_id text check (char_length(tax_id) <= 32),
  add column if not exists address_line1 text check (char_length(address_line1) <= 200),
  add column if not exists address_line2 text check (char_length(address_line2) <= 200),
  add column if not exists city text check (char_length(city) <= 100),
  add column if not exists postal_code text check (char_length(postal_code) <= 20),
  add column if not exists region text check (char_length(region) <= 100),
  add column if not exists country text check (country ~ '^[A-Z]{2}$');

-- A custom domain and its TXT challenge. A hostname is verified by one organization at most.
create table if not exists public.organization_domains (
  organization_id uuid primary key references public.organizations (id) on delete cascade,
  hostname text not null check (char_length(hostname) <= 253),
  txt_name text not null,
  txt_value text not null,
  verified_at timestamptz,
  -- The pending DNS-over-HTTPS lookup (a pg_net request id) and the last answer.
  lookup_request_id bigint,
  lookup_requested_at timestamptz,
  last_checked_at timestamptz,
  last_check_result text check (last_check_result in ('verified', 'not_found', 'lookup_failed')),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create unique index if not exists organization_domains_verified_hostname
  on public.organization_domains (hostname) where verified_at is not null;
drop trigger if exists touch_updated_at on public.organization_domains;
create trigger touch_updated_at before update on public.organization_domains
  for each row execute function private.touch_updated_at();

-- Integration credentials: written by save_onboarding_phase, readable by no API role.
create table if not exists private.integration_secrets (
  organization_id uuid primary key references public.organizations (id) on delete cascade,
  ats_api_key text not null,
  updated_at timestamptz not null default now()
);
revoke all on private.integration_secrets from public;

alter table public.organization_onboarding_phases enable row level security;
alter table public.organization_domains enable row level security;
revoke all on public.organization_onboarding_phases, public.organization_domains from anon, authenticated;
grant all on public.organization_onboarding_phases, public.organization_domains to service_role;
grant select on public.organization_onboarding_phases to authenticated;
grant select (organization_id, hostname, txt_name, txt_value, verified_at, last_checked_at, last_check_result,
              created_at, updated_at) on public.organization_domains to authenticated;
create policy "members read their organization's onboarding" on public.organization_onboarding_phases
  for select to authenticated
  using (organization_id in (select private.member_organization_ids()) or (select private.is_platform_admin()));
create policy "members read their organization's domain" on public.organization_domains
  for select to authenticated
  using (organization_id in (select private.member_organization_ids()) or (select private.is_platform_admin()));

-- One phase as the screens show it: the saved data (with the domain's challenge and state).
create or replace function private.onboarding_phase_view(p_organization_id uuid, p_key text, p_title text)
returns jsonb
language sql stable security definer set search_path = '' as $$
  select jsonb_build_object(
    'key', p_key, 'title', p_title,
    'done', coalesce(p.done, false), 'saved_at', p.saved_at, 'saved_by', p.saved_by,
    'data', case when p_key = 'domain-verification' and d.organization_id is not null
                 then coalesce(p.data, '{}') || jsonb_build_object(
                   'txt_record', jsonb_build_object('type', 'TXT', 'name', d.txt_name, 'value', d.txt_value),
                   'verified', d.verified_at is not null, 'verified_at', d.verified_at,
                   'last_checked_at', d.last_checked_at, 'last_check_result', d.last_check_result)
                 else p.data end)
  from (select 1) one
  left join public.organization_onboarding_phases p on p.organization_id = p_organization_id and p.phase = p_key
  left join public.organization_domains d on d.organization_id = p_organization_id and p_key = 'domain-verification'
$$;
revoke execute on function private.onboarding_phase_view(uuid, text, text) from public;

create or replace function public.organization_onboarding(p_organization_id uuid) returns jsonb
language plpgsql stable security definer set search_path = '' as $$
declare
  v_organization public.organizations;
  v_features text[];
begin
  if not (p_organization_id in (select private.member_organization_ids()) or private.is_platform_admin()) then
    raise exception using errcode = 'PT404', message = 'organization_not_found', detail = 'no such organization';
  end if;
  select * into v_organization from public.organizations where id = p_organization_id;
  v_features := private.enabled_features(p_organization_id);
  return jsonb_build_object(
    'organization_id', v_organization.id, 'name', v_organization.name, 'status', v_organization.status,
    'plan', v_organization.plan_id, 'features', to_jsonb(v_features),
    'onboarding_completed_at', v_organization.onboarding_completed_at,
    'phases', (
      select jsonb_agg(private.onboarding_phase_view(p_organization_id, key, title) order by phase_position)
      from private.onboarding_phases(v_features) where shown));
end
$$;
revoke execute on function public.organization_onboarding(uuid) from public, anon;
grant execute on function public.organization_onboarding(uuid) to authenticated, service_role;

-- Saving a phase ------------------------------------------------------------------------------

-- Validates `p_data` for the phase, stores it (replacing what was saved), and returns the
-- phase as organization_onboarding shows it. Owners and admins; one transaction holding
-- the organization's row lock.
create or replace function public.save_onboarding_phase(p_organization_id uuid, p_phase text, p_data jsonb)
returns jsonb
language plpgsql security definer set search_path = '' as $$
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
  if private.role_rank(v_role) < 3 then
    raise exception using errcode = '42501', message = 'not_org_admin',
      detail = 'only owners and admins save onboarding';
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
    v_text := lower(private.text_field(p_data -> 'hostname', 253));
    if not private.is_hostname(v_text) then
      raise exception using errcode = '22023', message = 'invalid_hostname',
        detail = 'hostname: a DNS name such as app.example.com (labels of a-z, 0-9, -)';
    end if;
    if exists (select 1 from public.organization_domains
               where hostname = v_text and verified_at is not null and organization_id <> p_organization_id) then
      raise exception using errcode = '23505', message = 'domain_taken',
        detail = 'another organization has verified this hostname';
    end if;
    select * into v_domain from public.organization_domains where organization_id = p_organization_id for update;
    if not found or v_domain.hostname <> v_text then
      -- A new hostname gets a new challenge and starts unverified.
      insert into public.organization_domains (organization_id, hostname, txt_name, txt_value)
      values (p_organization_id, v_text, '_onboarding-verification.' || v_text,
              'onboarding-verification=' || encode(extensions.gen_random_bytes(16), 'hex'))
      on conflict (organization_id) do update set
        hostname = excluded.hostname, txt_name = excluded.txt_name, txt_value = excluded.txt_value,
        verified_at = null, lookup_request_id = null, lookup_requested_at = null,
        last_checked_at = null, last_check_result = null
      returning * into v_domain;
    end if;
    v_data := jsonb_build_object('hostname', v_text);
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
$$;
revoke execute on function public.save_onboarding_phase(uuid, text, jsonb) from public, anon;
grant execute on function public.save_onboarding_phase(uuid, text, jsonb) to authenticated, service_role;

-- Domain verification through DNS-over-HTTPS ---------------------------------------------------

-- Whether a DoH JSON answer (RFC 8484's JSON flavour, as Cloudflare and Google serve it)
-- holds the TXT record `p_name` with `p_value`; TXT data arrives quoted, possibly split
-- into several quoted strings.
create or replace function private.doh_has_txt(p_content text, p_name text, p_value text) returns boolean
language plpgsql immutable set search_path = '' as $$
declare
  v_answer jsonb;
begin
  v_answer := p_content::jsonb;
  return coalesce((v_answer ->> 'Status')::integer = 0 and exists (
    select 1 from jsonb_array_elements(coalesce(v_answer -> 'Answer', '[]')) a
    where (a ->> 'type')::integer = 16
      and rtrim(lower(a ->> 'name'), '.') = p_name
      and replace(regexp_replace(a ->> 'data', '"\s+"', '', 'g'), '"', '') = p_value), false);
exception when others then
  return false;
end
$$;
revoke execute on function private.doh_has_txt(text, text, text) from public;

-- Checks the organization's custom domain: the first call queues a TXT lookup (pg_net, so
-- the answer comes after this transaction) and answers `checking`; the next call reads the
-- answer: `verified` (the phase is done), or `not_found` / `lookup_failed` (call again to
-- look again). Owners and admins.
create or replace function public.verify_domain(p_organization_id uuid) returns jsonb
language plpgsql security definer set search_path = '' as $$
declare
  v_role text;
  v_domain public.organization_domains;
  v_response record;
  v_result text;
begin
  v_role := private.lock_organization_as_member(p_organization_id);
  if private.role_rank(v_role) < 3 then
    raise exception using errcode = '42501', message = 'not_org_admin',
      detail = 'only owners and admins verify domains';
  end if;
  if not ('custom-domain' = any (private.enabled_features(p_organization_id))) then
    raise exception using errcode = '42501', message = 'phase_not_available',
      detail = 'the organization''s features do not include custom-domain';
  end if;
  select * into v_domain from public.organization_domains where organization_id = p_organization_id for update;
  if not found then
    raise exception using errcode = 'PT409', message = 'domain_not_saved',
      detail = 'save the domain-verification phase with a hostname first';
  end if;

  if v_domain.verified_at is null and v_domain.lookup_request_id is not null then
    select status_code, content, timed_out into v_response
    from net._http_response where id = v_domain.lookup_request_id;
    if found then
      v_result := case
        when v_response.status_code = 200 and private.doh_has_txt(v_response.content, v_domain.txt_name, v_domain.txt_value)
          then 'verified'
        when v_response.status_code = 200 then 'not_found'
        else 'lookup_failed' end;
      if v_result = 'verified' and exists (select 1 from public.organization_domains
          where hostname = v_domain.hostname and verified_at is not null and organization_id <> p_organization_id) then
        raise exception using errcode = '23505', message = 'domain_taken',
          detail = 'another organization has verified this hostname';
      end if;
      update public.organization_domains set
        lookup_request_id = null, last_checked_at = now(), last_check_result = v_result,
        verified_at = case when v_result = 'verified' then now() end
      where organization_id = p_organization_id
      returning * into v_domain;
      if v_result = 'verified' then
        update public.organization_onboarding_phases set done = true
        where organization_id = p_organization_id and phase = 'domain-verification';
        perform private.audit(p_organization_id, 'domain.verified', null, null, null,
                              jsonb_build_object('hostname', v_domain.hostname));
      end if;
      return jsonb_build_object('hostname', v_domain.hostname, 'status', v_result,
        'verified', v_result = 'verified', 'verified_at', v_domain.verified_at, 'checked_at', v_domain.last_checked_at);
    elsif v_domain.lookup_requested_at > now() - interval '30 seconds' then
      return jsonb_build_object('hostname', v_domain.hostname, 'status', 'checking', 'verified', false);
    end if;
    -- No answer after 30 s (pg_net delivers at most once): ask again.
  end if;
  if v_domain.verified_at is not null then
    return jsonb_build_object('hostname', v_domain.hostname, 'status', 'verified', 'verified', true,
                              'verified_at', v_domain.verified_at, 'checked_at', v_domain.last_checked_at);
  end if;

  update public.organization_domains set
    lookup_request_id = net.http_get(
      private.setting('doh_url', 'https://cloudflare-dns.com/dns-query'),
      jsonb_build_object('name', v_domain.txt_name, 'type', 'TXT'),
      '{"accept": "application/dns-json"}'::jsonb, 5000),
    lookup_requested_at = now()
  where organization_id = p_organization_id;
  return jsonb_build_object('hostname', v_domain.hostname, 'status', 'checking', 'verified', false,
    'txt_record', jsonb_build_object('type', 'TXT', 'name', v_domain.txt_name, 'value', v_domain.txt_value));
end
$$;
revoke execute on function public.verify_domain(uuid) from public, anon;
grant execute on function public.verify_domain(uuid) to authenticated, service_role;

-- Completing ----------------------------------------------------------------------------------

create or replace function public.complete_onboarding(p_organization_id uuid) returns jsonb
language plpgsql security definer set search_path = '' as $$
declare
  v_organization public.organizations;
  v_missing text[];
begin
  if not (p_organization_id in (select private.owned_organization_ids())) then
    raise exception using errcode = 'PT403', message = 'not_owner', detail = 'only the owner completes onboarding';
  end if;
  select * into v_organization from public.organizations where id = p_organization_id for update;
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
revoke execute on function public.complete_onboarding(uuid) from public, anon;
grant execute on function public.complete_onboarding(uuid) to authenticated, service_role;
