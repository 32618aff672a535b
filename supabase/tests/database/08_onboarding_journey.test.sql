-- What the onboarding journey needs from the database (issue 24): a tenant's user added
-- twice is refused with a stable code, never PostgreSQL's constraint text, and without
-- telling another tenant which addresses exist; a request queued while Make is not
-- configured is held by the service role only.
begin;
create extension if not exists pgtap with schema extensions;
set local search_path = public, extensions;
select plan(6);

insert into auth.users (id, email, email_confirmed_at) values
  ('a1111111-1111-4111-8111-111111111118', 'alice@journey.tap', now()),
  ('b2222222-2222-4222-8222-222222222228', 'bob@journey.tap', now());
select public.create_signup_org('a1111111-1111-4111-8111-111111111118', 'alice@journey.tap', 'Alice', 'Alice''s Workspace', 'alice-journey');
select public.create_signup_org('b2222222-2222-4222-8222-222222222228', 'bob@journey.tap', 'Bob', 'Bob''s Workspace', 'bob-journey');

select tests.authenticate_as('a1111111-1111-4111-8111-111111111118');
select lives_ok($$ insert into tenant_users (tenant_id, user_role, email)
                   select id, 'executor', 'exec@journey.tap' from organizations where slug = 'alice-journey' $$,
  'a tenant admin adds a user');
select throws_ok($$ insert into tenant_users (tenant_id, user_role, email)
                    select id, 'complainant', ' EXEC@journey.tap' from organizations where slug = 'alice-journey' $$,
  '23505', 'tenant_user_exists', 'the same address again (any case, spaces) is refused with the stable code');
reset role;

select tests.authenticate_as('b2222222-2222-4222-8222-222222222228');
select lives_ok($$ insert into tenant_users (tenant_id, user_role, email)
                   select id, 'executor', 'exec@journey.tap' from organizations where slug = 'bob-journey' $$,
  'another tenant may have a user with the same address');
select throws_ok(format($$ insert into tenant_users (tenant_id, user_role, email) values (%L, 'executor', 'exec@journey.tap') $$,
                        (select id from organizations where slug = 'alice-journey')),
  '42501', null, 'an outsider adding an existing address to another tenant learns nothing: refused by row-level security');
select throws_ok($$ select public.hold_onboarding_delivery(1, 1, 'make_not_configured') $$, '42501', null,
  'only the service role holds deliveries');
reset role;

select is((select count(*)::int from tenant_users where email = 'exec@journey.tap'), 2,
  'one user per tenant, nothing else written');

select * from finish();
rollback;
