-- Onboarding phases: the current definition (supabase/migrations/ builds exactly this; `make test` checks it).
-- Function bodies may name objects of later files: they are checked when called.
set check_function_bodies = false;

-- TABLE organization_domains
CREATE TABLE public.organization_domains (
    organization_id uuid NOT NULL,
    hostname text NOT NULL,
    txt_name text NOT NULL,
    txt_value text NOT NULL,
    verified_at timestamp with time zone,
    lookup_request_id bigint,
    lookup_requested_at timestamp with time zone,
    last_checked_at timestamp with time zone,
    last_check_result text,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    enrollment_mode text DEFAULT 'manual'::text NOT NULL,
    default_role text DEFAULT 'viewer'::text NOT NULL,
    created_by uuid,
    CONSTRAINT organization_domains_default_role_check CHECK ((default_role = ANY (ARRAY['admin'::text, 'recruiter'::text, 'viewer'::text]))),
    CONSTRAINT organization_domains_enrollment_mode_check CHECK ((enrollment_mode = ANY (ARRAY['manual'::text, 'automatic_invitation'::text, 'automatic_suggestion'::text]))),
    CONSTRAINT organization_domains_hostname_check CHECK ((char_length(hostname) <= 253)),
    CONSTRAINT organization_domains_last_check_result_check CHECK ((last_check_result = ANY (ARRAY['verified'::text, 'not_found'::text, 'lookup_failed'::text])))
);

-- COMMENT TABLE organization_domains
COMMENT ON TABLE public.organization_domains IS 'A custom domain and its TXT challenge. A hostname is verified by one organization at most.';

-- COMMENT COLUMN organization_domains.lookup_request_id
COMMENT ON COLUMN public.organization_domains.lookup_request_id IS 'The pending DNS-over-HTTPS lookup (a pg_net request id) and the last answer.';

-- ACL COLUMN organization_domains.created_by
GRANT SELECT(created_by) ON TABLE public.organization_domains TO authenticated;

-- ACL COLUMN organization_domains.default_role
GRANT SELECT(default_role) ON TABLE public.organization_domains TO authenticated;

-- ACL COLUMN organization_domains.enrollment_mode
GRANT SELECT(enrollment_mode) ON TABLE public.organization_domains TO authenticated;

-- ACL COLUMN organization_domains.id
GRANT SELECT(id) ON TABLE public.organization_domains TO authenticated;

-- ACL COLUMN organization_domains.updated_at
GRANT SELECT(updated_at) ON TABLE public.organization_domains TO authenticated;

-- ACL COLUMN organization_domains.created_at
GRANT SELECT(created_at) ON TABLE public.organization_domains TO authenticated;

-- ACL COLUMN organization_domains.last_check_result
GRANT SELECT(last_check_result) ON TABLE public.organization_domains TO authenticated;

-- ACL COLUMN organization_domains.last_checked_at
GRANT SELECT(last_checked_at) ON TABLE public.organization_domains TO authenticated;

-- ACL COLUMN organization_domains.verified_at
GRANT SELECT(verified_at) ON TABLE public.organization_domains TO authenticated;

-- ACL COLUMN organization_domains.txt_value
GRANT SELECT(txt_value) ON TABLE public.organization_domains TO authenticated;

-- ACL COLUMN organization_domains.txt_name
GRANT SELECT(txt_name) ON TABLE public.organization_domains TO authenticated;

-- ACL COLUMN organization_domains.hostname
GRANT SELECT(hostname) ON TABLE public.organization_domains TO authenticated;

-- ACL COLUMN organization_domains.organization_id
GRANT SELECT(organization_id) ON TABLE public.organization_domains TO authenticated;

-- ACL TABLE organization_domains
GRANT ALL ON TABLE public.organization_domains TO service_role;

-- FUNCTION configure_domain_verification(text)
CREATE FUNCTION private.configure_domain_verification(p_doh_url text) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $_$
begin
  if p_doh_url !~ '^https?://[^[:space:]]+$' then
    raise exception using errcode = '22023', message = 'invalid_doh_url', detail = 'DOH_URL must be an http(s) URL';
  end if;
  insert into private.settings (key, value) values ('doh_url', p_doh_url)
  on conflict (key) do update set value = excluded.value;
end
$_$;

-- COMMENT FUNCTION configure_domain_verification(p_doh_url text)
COMMENT ON FUNCTION private.configure_domain_verification(p_doh_url text) IS 'The DNS-over-HTTPS JSON endpoint (Cloudflare''s and Google''s API) domain checks query.';

-- ACL FUNCTION configure_domain_verification(p_doh_url text)
REVOKE ALL ON FUNCTION private.configure_domain_verification(p_doh_url text) FROM PUBLIC;

-- FUNCTION doh_has_txt(text, text, text)
CREATE FUNCTION private.doh_has_txt(p_content text, p_name text, p_value text) RETURNS boolean
    LANGUAGE plpgsql IMMUTABLE
    SET search_path TO ''
    AS $$
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

-- COMMENT FUNCTION doh_has_txt(p_content text, p_name text, p_value text)
COMMENT ON FUNCTION private.doh_has_txt(p_content text, p_name text, p_value text) IS 'Whether a DoH JSON answer (RFC 8484''s JSON flavour, as Cloudflare and Google serve it) holds the TXT record `p_name` with `p_value`; TXT data arrives quoted, possibly split into several quoted strings.';

-- ACL FUNCTION doh_has_txt(p_content text, p_name text, p_value text)
REVOKE ALL ON FUNCTION private.doh_has_txt(p_content text, p_name text, p_value text) FROM PUBLIC;

-- FUNCTION https_url(jsonb)
CREATE FUNCTION private.https_url(p_value jsonb) RETURNS text
    LANGUAGE sql IMMUTABLE
    SET search_path TO ''
    AS $_$
  select v from (select p_value #>> '{}' as v where jsonb_typeof(p_value) = 'string') s
  where char_length(v) <= 2048
    and v ~ '^https://[^[:space:]/?#@:]+(:[0-9]{1,5})?([/?#][^[:space:]]*)?$'
    and private.is_hostname(lower(substring(v from '^https://([^[:space:]/?#@:]+)')))
$_$;

-- COMMENT FUNCTION https_url(p_value jsonb)
COMMENT ON FUNCTION private.https_url(p_value jsonb) IS 'An https URL of at most 2,048 characters whose host is a hostname.';

-- ACL FUNCTION https_url(p_value jsonb)
REVOKE ALL ON FUNCTION private.https_url(p_value jsonb) FROM PUBLIC;

-- FUNCTION is_country_code(text)
CREATE FUNCTION private.is_country_code(p_value text) RETURNS boolean
    LANGUAGE sql IMMUTABLE
    SET search_path TO ''
    AS $$
  select coalesce(p_value = any ('{AD,AE,AF,AG,AI,AL,AM,AO,AQ,AR,AS,AT,AU,AW,AX,AZ,BA,BB,BD,BE,BF,BG,BH,BI,BJ,BL,BM,BN,BO,BQ,BR,BS,BT,BV,BW,BY,BZ,CA,CC,CD,CF,CG,CH,CI,CK,CL,CM,CN,CO,CR,CU,CV,CW,CX,CY,CZ,DE,DJ,DK,DM,DO,DZ,EC,EE,EG,EH,ER,ES,ET,FI,FJ,FK,FM,FO,FR,GA,GB,GD,GE,GF,GG,GH,GI,GL,GM,GN,GP,GQ,GR,GS,GT,GU,GW,GY,HK,HM,HN,HR,HT,HU,ID,IE,IL,IM,IN,IO,IQ,IR,IS,IT,JE,JM,JO,JP,KE,KG,KH,KI,KM,KN,KP,KR,KW,KY,KZ,LA,LB,LC,LI,LK,LR,LS,LT,LU,LV,LY,MA,MC,MD,ME,MF,MG,MH,MK,ML,MM,MN,MO,MP,MQ,MR,MS,MT,MU,MV,MW,MX,MY,MZ,NA,NC,NE,NF,NG,NI,NL,NO,NP,NR,NU,NZ,OM,PA,PE,PF,PG,PH,PK,PL,PM,PN,PR,PS,PT,PW,PY,QA,RE,RO,RS,RU,RW,SA,SB,SC,SD,SE,SG,SH,SI,SJ,SK,SL,SM,SN,SO,SR,SS,ST,SV,SX,SY,SZ,TC,TD,TF,TG,TH,TJ,TK,TL,TM,TN,TO,TR,TT,TV,TW,TZ,UA,UG,UM,US,UY,UZ,VA,VC,VE,VG,VI,VN,VU,WF,WS,YE,YT,ZA,ZM,ZW}'::text[]), false)
$$;

-- COMMENT FUNCTION is_country_code(p_value text)
COMMENT ON FUNCTION private.is_country_code(p_value text) IS 'ISO 3166-1 alpha-2, the officially assigned codes.';

-- ACL FUNCTION is_country_code(p_value text)
REVOKE ALL ON FUNCTION private.is_country_code(p_value text) FROM PUBLIC;

-- FUNCTION is_hostname(text)
CREATE FUNCTION private.is_hostname(p_value text) RETURNS boolean
    LANGUAGE sql IMMUTABLE
    SET search_path TO ''
    AS $_$
  select coalesce(char_length(p_value) <= 253
    and p_value ~ '^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$', false)
$_$;

-- COMMENT FUNCTION is_hostname(p_value text)
COMMENT ON FUNCTION private.is_hostname(p_value text) IS 'A DNS hostname as a custom domain needs it: lowercase labels of a-z, 0-9 and inner dashes, at least two, a letter-only top-level label, at most 253 characters.';

-- ACL FUNCTION is_hostname(p_value text)
REVOKE ALL ON FUNCTION private.is_hostname(p_value text) FROM PUBLIC;

-- FUNCTION is_time_zone(text)
CREATE FUNCTION private.is_time_zone(p_value text) RETURNS boolean
    LANGUAGE sql STABLE
    SET search_path TO ''
    AS $$
  select coalesce(p_value !~ '^(posix|right)/' and exists (select 1 from pg_catalog.pg_timezone_names where name = p_value), false)
$$;

-- ACL FUNCTION is_time_zone(p_value text)
REVOKE ALL ON FUNCTION private.is_time_zone(p_value text) FROM PUBLIC;

-- FUNCTION onboarding_phase_view(uuid, text, text)
CREATE FUNCTION private.onboarding_phase_view(p_organization_id uuid, p_key text, p_title text) RETURNS jsonb
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path TO ''
    AS $$
  select jsonb_build_object(
    'key', p_key, 'title', p_title,
    'done', coalesce(p.done, false), 'saved_at', p.saved_at, 'saved_by', p.saved_by,
    'data', case when p_key = 'domain-verification' and d.id is not null
                 then coalesce(p.data, '{}') || jsonb_build_object(
                   'txt_record', jsonb_build_object('type', 'TXT', 'name', d.txt_name, 'value', d.txt_value),
                   'domain_id', d.id, 'verified', d.verified_at is not null, 'verified_at', d.verified_at,
                   'last_checked_at', d.last_checked_at, 'last_check_result', d.last_check_result)
                 else p.data end)
  from (select 1) one
  left join public.organization_onboarding_phases p on p.organization_id = p_organization_id and p.phase = p_key
  left join public.organization_domains d on d.organization_id = p_organization_id and p_key = 'domain-verification'
    and d.hostname = p.data ->> 'hostname'
$$;

-- COMMENT FUNCTION onboarding_phase_view(p_organization_id uuid, p_key text, p_title text)
COMMENT ON FUNCTION private.onboarding_phase_view(p_organization_id uuid, p_key text, p_title text) IS 'One phase as the screens show it: the saved data (with the domain''s challenge and state).';

-- ACL FUNCTION onboarding_phase_view(p_organization_id uuid, p_key text, p_title text)
REVOKE ALL ON FUNCTION private.onboarding_phase_view(p_organization_id uuid, p_key text, p_title text) FROM PUBLIC;

-- FUNCTION onboarding_phases(text[])
CREATE FUNCTION private.onboarding_phases(p_features text[]) RETURNS TABLE(phase_position integer, key text, title text, shown boolean)
    LANGUAGE sql IMMUTABLE
    SET search_path TO ''
    AS $$
  values
    (1, 'organization-setup', 'Organization Setup', true),
    (2, 'domain-verification', 'Domain Verification', 'custom-domain' = any (p_features)),
    (3, 'brand-identity', 'Brand Identity', 'white-label' = any (p_features)),
    (4, 'billing', 'Billing', true),
    (5, 'team', 'Team', true),
    (6, 'integrations', 'Integrations', p_features && array['ats-api-sync', 'webhooks']),
    (7, 'privacy', 'Privacy', true)
$$;

-- COMMENT FUNCTION onboarding_phases(p_features text[])
COMMENT ON FUNCTION private.onboarding_phases(p_features text[]) IS 'The phases in screen order, and whether the organization''s features show each.';

-- ACL FUNCTION onboarding_phases(p_features text[])
REVOKE ALL ON FUNCTION private.onboarding_phases(p_features text[]) FROM PUBLIC;

-- FUNCTION text_field(jsonb, integer)
CREATE FUNCTION private.text_field(p_value jsonb, p_max integer) RETURNS text
    LANGUAGE sql IMMUTABLE
    SET search_path TO ''
    AS $$
  select v from (select btrim(p_value #>> '{}') as v where jsonb_typeof(p_value) = 'string') s
  where char_length(v) between 1 and p_max and v !~ '[[:cntrl:]]'
$$;

-- COMMENT FUNCTION text_field(p_value jsonb, p_max integer)
COMMENT ON FUNCTION private.text_field(p_value jsonb, p_max integer) IS 'A JSON string, trimmed, 1..p_max characters, without control characters.';

-- ACL FUNCTION text_field(p_value jsonb, p_max integer)
REVOKE ALL ON FUNCTION private.text_field(p_value jsonb, p_max integer) FROM PUBLIC;

-- FUNCTION save_onboarding_phase(uuid, text, jsonb)
CREATE FUNCTION public.save_onboarding_phase(p_organization_id uuid, p_phase text, p_data jsonb) RETURNS jsonb
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

-- COMMENT FUNCTION save_onboarding_phase(p_organization_id uuid, p_phase text, p_data jsonb)
COMMENT ON FUNCTION public.save_onboarding_phase(p_organization_id uuid, p_phase text, p_data jsonb) IS 'Validates `p_data` for the phase, stores it (replacing what was saved), and returns the phase as organization_onboarding shows it. Owners and admins; one transaction holding the organization''s row lock.';

-- ACL FUNCTION save_onboarding_phase(p_organization_id uuid, p_phase text, p_data jsonb)
REVOKE ALL ON FUNCTION public.save_onboarding_phase(p_organization_id uuid, p_phase text, p_data jsonb) FROM PUBLIC;
GRANT ALL ON FUNCTION public.save_onboarding_phase(p_organization_id uuid, p_phase text, p_data jsonb) TO authenticated;
GRANT ALL ON FUNCTION public.save_onboarding_phase(p_organization_id uuid, p_phase text, p_data jsonb) TO service_role;

-- FUNCTION verify_domain(uuid)
CREATE FUNCTION public.verify_domain(p_organization_id uuid) RETURNS jsonb
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
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

-- COMMENT FUNCTION verify_domain(p_organization_id uuid)
COMMENT ON FUNCTION public.verify_domain(p_organization_id uuid) IS 'Verifies the domain the Domain Verification phase saved: see verify_organization_domain.';

-- ACL FUNCTION verify_domain(p_organization_id uuid)
REVOKE ALL ON FUNCTION public.verify_domain(p_organization_id uuid) FROM PUBLIC;
GRANT ALL ON FUNCTION public.verify_domain(p_organization_id uuid) TO authenticated;
GRANT ALL ON FUNCTION public.verify_domain(p_organization_id uuid) TO service_role;

-- TABLE integration_secrets
CREATE TABLE private.integration_secrets (
    organization_id uuid NOT NULL,
    ats_api_key text NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL
);

-- COMMENT TABLE integration_secrets
COMMENT ON TABLE private.integration_secrets IS 'Integration credentials: written by save_onboarding_phase, readable by no API role.';

-- TABLE organization_onboarding_phases
CREATE TABLE public.organization_onboarding_phases (
    organization_id uuid NOT NULL,
    phase text NOT NULL,
    data jsonb NOT NULL,
    done boolean DEFAULT false NOT NULL,
    saved_at timestamp with time zone DEFAULT now() NOT NULL,
    saved_by uuid,
    CONSTRAINT organization_onboarding_phases_data_check CHECK ((jsonb_typeof(data) = 'object'::text)),
    CONSTRAINT organization_onboarding_phases_phase_check CHECK ((phase = ANY (ARRAY['organization-setup'::text, 'domain-verification'::text, 'brand-identity'::text, 'billing'::text, 'team'::text, 'integrations'::text, 'privacy'::text])))
);

-- COMMENT TABLE organization_onboarding_phases
COMMENT ON TABLE public.organization_onboarding_phases IS 'Each onboarding phase an organization saved: its data, whether it is done, who saved it and when.';

-- COMMENT COLUMN organization_onboarding_phases.data
COMMENT ON COLUMN public.organization_onboarding_phases.data IS 'What was saved, as validated; never a secret (those are in private.integration_secrets).';

-- ACL TABLE organization_onboarding_phases
GRANT ALL ON TABLE public.organization_onboarding_phases TO service_role;
GRANT SELECT ON TABLE public.organization_onboarding_phases TO authenticated;

-- CONSTRAINT integration_secrets integration_secrets_pkey
ALTER TABLE ONLY private.integration_secrets
    ADD CONSTRAINT integration_secrets_pkey PRIMARY KEY (organization_id);

-- CONSTRAINT organization_domains organization_domains_organization_id_hostname_key
ALTER TABLE ONLY public.organization_domains
    ADD CONSTRAINT organization_domains_organization_id_hostname_key UNIQUE (organization_id, hostname);

-- CONSTRAINT organization_domains organization_domains_pkey
ALTER TABLE ONLY public.organization_domains
    ADD CONSTRAINT organization_domains_pkey PRIMARY KEY (id);

-- CONSTRAINT organization_onboarding_phases organization_onboarding_phases_pkey
ALTER TABLE ONLY public.organization_onboarding_phases
    ADD CONSTRAINT organization_onboarding_phases_pkey PRIMARY KEY (organization_id, phase);

-- INDEX organization_domains_verified_hostname
CREATE UNIQUE INDEX organization_domains_verified_hostname ON public.organization_domains USING btree (hostname) WHERE (verified_at IS NOT NULL);

-- TRIGGER organization_domains touch_updated_at
CREATE TRIGGER touch_updated_at BEFORE UPDATE ON public.organization_domains FOR EACH ROW EXECUTE FUNCTION private.touch_updated_at();

-- FK CONSTRAINT integration_secrets integration_secrets_organization_id_fkey
ALTER TABLE ONLY private.integration_secrets
    ADD CONSTRAINT integration_secrets_organization_id_fkey FOREIGN KEY (organization_id) REFERENCES public.organizations(id) ON DELETE CASCADE;

-- FK CONSTRAINT onboarding_invites onboarding_invites_domain_id_fkey
ALTER TABLE ONLY public.onboarding_invites
    ADD CONSTRAINT onboarding_invites_domain_id_fkey FOREIGN KEY (domain_id) REFERENCES public.organization_domains(id) ON DELETE SET NULL;

-- FK CONSTRAINT organization_domains organization_domains_created_by_fkey
ALTER TABLE ONLY public.organization_domains
    ADD CONSTRAINT organization_domains_created_by_fkey FOREIGN KEY (created_by) REFERENCES auth.users(id) ON DELETE SET NULL;

-- FK CONSTRAINT organization_domains organization_domains_organization_id_fkey
ALTER TABLE ONLY public.organization_domains
    ADD CONSTRAINT organization_domains_organization_id_fkey FOREIGN KEY (organization_id) REFERENCES public.organizations(id) ON DELETE CASCADE;

-- FK CONSTRAINT organization_onboarding_phases organization_onboarding_phases_organization_id_fkey
ALTER TABLE ONLY public.organization_onboarding_phases
    ADD CONSTRAINT organization_onboarding_phases_organization_id_fkey FOREIGN KEY (organization_id) REFERENCES public.organizations(id) ON DELETE CASCADE;

-- FK CONSTRAINT organization_onboarding_phases organization_onboarding_phases_saved_by_fkey
ALTER TABLE ONLY public.organization_onboarding_phases
    ADD CONSTRAINT organization_onboarding_phases_saved_by_fkey FOREIGN KEY (saved_by) REFERENCES auth.users(id) ON DELETE SET NULL;

-- POLICY organization_domains members read their organization's domain
CREATE POLICY "members read their organization's domain" ON public.organization_domains FOR SELECT TO authenticated USING ((organization_id = ANY (( SELECT private.readable_organizations() AS readable_organizations)::uuid[])));

-- POLICY organization_onboarding_phases members read their organization's onboarding
CREATE POLICY "members read their organization's onboarding" ON public.organization_onboarding_phases FOR SELECT TO authenticated USING ((organization_id = ANY (( SELECT private.readable_organizations() AS readable_organizations)::uuid[])));

-- ROW SECURITY organization_domains
ALTER TABLE public.organization_domains ENABLE ROW LEVEL SECURITY;

-- ROW SECURITY organization_onboarding_phases
ALTER TABLE public.organization_onboarding_phases ENABLE ROW LEVEL SECURITY;
