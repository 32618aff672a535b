-- Webhooks out, in SQL: endpoint URLs outside the local stack's configuration, secrets
-- nobody reads back, events written with their cause (and only for organizations with the
-- feature), delivery RPCs for the service role alone.
begin;
create extension if not exists pgtap with schema extensions;
set local search_path = public, extensions;
select plan(14);

insert into auth.users (id, email, email_confirmed_at) values
  ('a6666666-1111-4111-8111-111111111111', 'owner@hooks.test', now()),
  ('b6666666-2222-4222-8222-222222222222', 'member@hooks.test', now());
insert into organizations (id, name, slug, plan_id) values
  ('d6666666-4444-4444-8444-444444444444', 'Hooks Inc', 'hooks-tap', 'growth'),
  ('e6666666-5555-4555-8555-555555555555', 'Free Inc', 'free-hooks-tap', 'free');
insert into organization_members (organization_id, user_id, role) values
  ('d6666666-4444-4444-8444-444444444444', 'a6666666-1111-4111-8111-111111111111', 'owner'),
  ('e6666666-5555-4555-8555-555555555555', 'a6666666-1111-4111-8111-111111111111', 'owner');
-- As a hosted project is configured: private and http URLs refused.
select private.configure_webhooks('0,5,300,1800,7200,18000,36000,36000', '5 days', false);

select tests.authenticate_as('a6666666-1111-4111-8111-111111111111');
select throws_ok($$ select create_webhook_endpoint('d6666666-4444-4444-8444-444444444444', 'http://hooks.example.com/x') $$,
  '22023', 'invalid_url', 'http is refused');
select throws_ok($$ select create_webhook_endpoint('d6666666-4444-4444-8444-444444444444', 'https://127.0.0.1/x') $$,
  '22023', 'invalid_url', 'loopback is refused');
select throws_ok($$ select create_webhook_endpoint('d6666666-4444-4444-8444-444444444444', 'https://192.168.1.10/x') $$,
  '22023', 'invalid_url', 'a private address is refused');
select throws_ok($$ select create_webhook_endpoint('d6666666-4444-4444-8444-444444444444', 'https://[::1]/x') $$,
  '22023', 'invalid_url', 'IPv6 loopback is refused');
select throws_ok($$ select create_webhook_endpoint('d6666666-4444-4444-8444-444444444444', 'https://169.254.169.254/latest') $$,
  '22023', 'invalid_url', 'link-local (cloud metadata) is refused');
select throws_ok($$ select create_webhook_endpoint('d6666666-4444-4444-8444-444444444444', 'https://localhost/x') $$,
  '22023', 'invalid_url', 'localhost is refused');
select throws_ok($$ select create_webhook_endpoint('e6666666-5555-4555-8555-555555555555', 'https://hooks.example.com/x') $$,
  '42501', 'feature_not_enabled', 'a plan without webhooks cannot have endpoints');
select ok((create_webhook_endpoint('d6666666-4444-4444-8444-444444444444', 'https://hooks.example.com/x') ->> 'secret')
  ~ '^whsec_[A-Za-z0-9+/]{43}=$', 'a public https URL gets a whsec_ secret of 32 bytes');
select throws_ok($$ select * from private.webhook_secrets $$, '42501', null, 'no API role reads secrets');
select throws_ok($$ select claim_webhook_batches() $$, '42501', null, 'only the service role claims deliveries');
select throws_ok($$ select report_webhook_deliveries(gen_random_uuid(), gen_random_uuid(), '[]') $$, '42501', null,
  'only the service role reports deliveries');

-- An event is written with its cause, queued for the endpoint; none for the free organization.
reset role;
insert into organization_members (organization_id, user_id, role) values
  ('d6666666-4444-4444-8444-444444444444', 'b6666666-2222-4222-8222-222222222222', 'viewer'),
  ('e6666666-5555-4555-8555-555555555555', 'b6666666-2222-4222-8222-222222222222', 'viewer');
select results_eq($$ select m.event_type, o.status from webhook_messages m join webhook_outbox o on o.message_id = m.id
                     where m.organization_id = 'd6666666-4444-4444-8444-444444444444' $$,
  $$ values ('member.added', 'pending') $$, 'member.added queued in the same transaction');
select is_empty($$ select 1 from webhook_messages where organization_id = 'e6666666-5555-4555-8555-555555555555' $$,
  'no event for an organization without the feature');
select is((select (payload -> 'data' ->> 'user_id') from webhook_messages
           where organization_id = 'd6666666-4444-4444-8444-444444444444'),
  'b6666666-2222-4222-8222-222222222222', 'the payload names the member');

select * from finish();
rollback;
