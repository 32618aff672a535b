-- Onboarding phases in SQL: who saves and who reads (RLS), refusals that write nothing,
-- completion only when every shown phase is done, DoH answers read as DNS serves them,
-- credentials nobody reads back.
begin;
create extension if not exists pgtap with schema extensions;
set local search_path = public, extensions;
select plan(24);

insert into auth.users (id, email, email_confirmed_at) values
  ('a5555555-1111-4111-8111-111111111111', 'owner@phases.test', now()),
  ('b5555555-2222-4222-8222-222222222222', 'viewer@phases.test', now()),
  ('c5555555-3333-4333-8333-333333333333', 'other@phases.test', now());
insert into organizations (id, name, slug, status, plan_id) values
  ('d5555555-4444-4444-8444-444444444444', 'Phases Inc', 'phases-tap', 'pending-activation', 'enterprise'),
  ('e5555555-5555-4555-8555-555555555555', 'Other Inc', 'other-tap', 'active', 'free');
insert into organization_members (organization_id, user_id, role) values
  ('d5555555-4444-4444-8444-444444444444', 'a5555555-1111-4111-8111-111111111111', 'owner'),
  ('d5555555-4444-4444-8444-444444444444', 'b5555555-2222-4222-8222-222222222222', 'viewer'),
  ('e5555555-5555-4555-8555-555555555555', 'c5555555-3333-4333-8333-333333333333', 'owner');
insert into organization_billing (organization_id, billing_email) values
  ('d5555555-4444-4444-8444-444444444444', 'billing@phases.test');

select tests.authenticate_as('a5555555-1111-4111-8111-111111111111');

select throws_ok($$ select save_onboarding_phase('d5555555-4444-4444-8444-444444444444', 'organization-setup',
    '{"name": "Phases", "industry": "HR", "size_band": "11-50", "time_zone": "Mars/Olympus"}') $$,
  '22023', 'invalid_time_zone', 'an unknown time zone is refused');
select throws_ok($$ select save_onboarding_phase('d5555555-4444-4444-8444-444444444444', 'organization-setup',
    jsonb_build_object('name', repeat('n', 201), 'industry', 'HR', 'size_band', '11-50', 'time_zone', 'UTC')) $$,
  '22023', 'invalid_name', 'a name over 200 characters is refused');
select throws_ok($$ select save_onboarding_phase('d5555555-4444-4444-8444-444444444444', 'organization-setup',
    '{"name": "Phases", "industry": "HR", "size_band": "11-50", "time_zone": "UTC", "logo_url": "http://cdn.test/logo.png"}') $$,
  '22023', 'invalid_logo_url', 'a logo over http is refused');
select throws_ok($$ select save_onboarding_phase('d5555555-4444-4444-8444-444444444444', 'organization-setup',
    '{"name": "Phases", "colour": "red"}') $$,
  '22023', 'unknown_field', 'a field the phase does not have is refused');
select throws_ok($$ select save_onboarding_phase('d5555555-4444-4444-8444-444444444444', 'billing',
    '{"billing_email": "b@phases.test", "legal_name": "Phases GmbH", "address": {"line1": "Str. 1", "city": "Berlin", "country": "XX"}}') $$,
  '22023', 'invalid_country', 'an unassigned country code is refused');
select throws_ok($$ select save_onboarding_phase('d5555555-4444-4444-8444-444444444444', 'brand-identity',
    '{"primary_color": "#12345", "accent_color": "#abcdef", "sender_name": "Phases"}') $$,
  '22023', 'invalid_primary_color', 'a colour that is not #rrggbb is refused');
select throws_ok($$ select save_onboarding_phase('d5555555-4444-4444-8444-444444444444', 'domain-verification',
    '{"hostname": "-bad-.example.com"}') $$,
  '22023', 'invalid_hostname', 'an invalid hostname is refused');
select throws_ok($$ select save_onboarding_phase('d5555555-4444-4444-8444-444444444444', 'nonsense', '{}') $$,
  '22023', 'invalid_phase', 'an unknown phase is refused');
select is((select name from organizations where id = 'd5555555-4444-4444-8444-444444444444'), 'Phases Inc',
  'refusals wrote nothing');

select is(save_onboarding_phase('d5555555-4444-4444-8444-444444444444', 'organization-setup',
    '{"name": "Phases AG", "industry": "HR", "size_band": "11-50", "time_zone": "Europe/Berlin"}') ->> 'done',
  'true', 'a valid organization setup is saved and done');
select is((select name from organizations where id = 'd5555555-4444-4444-8444-444444444444'), 'Phases AG',
  'the name goes to the organization');
select is(save_onboarding_phase('d5555555-4444-4444-8444-444444444444', 'integrations',
    '{"ats_provider": "Greenhouse", "ats_api_key": "gh_secret_key_1"}') -> 'data',
  '{"ats_provider": "Greenhouse", "ats_api_key_set": true}'::jsonb, 'the ATS key is stored, never echoed');
select throws_ok($$ select * from private.integration_secrets $$, '42501', null,
  'no API role reads integration credentials');
select is(save_onboarding_phase('d5555555-4444-4444-8444-444444444444', 'domain-verification',
    '{"hostname": "Jobs.Phases.Example"}') ->> 'done', 'false', 'a saved domain is not done until verified');

select throws_ok($$ select complete_onboarding('d5555555-4444-4444-8444-444444444444') $$,
  'PT409', 'onboarding_incomplete', 'completion is refused while phases are not done');

-- The DoH answer arrives as pg_net records it: verify_domain reads it on the next call.
select is(verify_domain('d5555555-4444-4444-8444-444444444444') ->> 'status', 'checking', 'a lookup is queued');
reset role;
select ok(private.doh_has_txt(
    '{"Status":0,"Answer":[{"name":"x.example.","type":16,"TTL":60,"data":"\"abc\" \"def\""}]}', 'x.example', 'abcdef'),
  'TXT data split into quoted strings is joined');
insert into net._http_response (id, status_code, content)
  select lookup_request_id, 200, jsonb_build_object('Status', 0, 'Answer', jsonb_build_array(
    jsonb_build_object('name', txt_name || '.', 'type', 16, 'TTL', 300, 'data', '"' || txt_value || '"')))::text
  from organization_domains where organization_id = 'd5555555-4444-4444-8444-444444444444';
select tests.authenticate_as('a5555555-1111-4111-8111-111111111111');
select is(verify_domain('d5555555-4444-4444-8444-444444444444') ->> 'status', 'verified',
  'the published record verifies the domain');
select is((organization_onboarding('d5555555-4444-4444-8444-444444444444') -> 'phases' -> 1 ->> 'done'), 'true',
  'and its phase is done');

-- A viewer reads, does not write; another organization sees nothing.
select tests.authenticate_as('b5555555-2222-4222-8222-222222222222');
select is((select count(*)::integer from organization_onboarding_phases), 3, 'a member reads the saved phases');
select throws_ok($$ select save_onboarding_phase('d5555555-4444-4444-8444-444444444444', 'team', '{"completed": true}') $$,
  '42501', 'not_org_admin', 'a viewer cannot save');
select tests.authenticate_as('c5555555-3333-4333-8333-333333333333');
select is_empty($$ select 1 from organization_onboarding_phases union all select 1 from organization_domains $$,
  'another organization sees no phase and no domain');
select throws_ok($$ select save_onboarding_phase('d5555555-4444-4444-8444-444444444444', 'team', '{"completed": true}') $$,
  '42501', 'not_member', 'another organization cannot save');
select throws_ok($$ select save_onboarding_phase('e5555555-5555-4555-8555-555555555555', 'brand-identity',
    '{"primary_color": "#123456", "accent_color": "#abcdef", "sender_name": "Other"}') $$,
  '42501', 'phase_not_available', 'a phase the features do not show is refused');
reset role;

select * from finish();
rollback;
