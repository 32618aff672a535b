-- Invariants the database keeps whoever writes: idempotent signups, one membership per
-- user and organization, one pending invite per address and organization.
begin;
create extension if not exists pgtap with schema extensions;
set local search_path = public, extensions;
select plan(5);

insert into auth.users (id, email, email_confirmed_at) values
  ('a1111111-1111-4111-8111-111111111111', 'alice@tap.test', now());
select is(
  (select public.create_signup_org('a1111111-1111-4111-8111-111111111111', 'alice@tap.test', 'Alice', 'Alice''s Workspace', 'alice-tap') ->> 'organization_id'),
  (select public.create_signup_org('a1111111-1111-4111-8111-111111111111', 'alice@tap.test', 'Alice', 'Alice''s Workspace', 'alice-tap') ->> 'organization_id'),
  'a replayed signup returns the same organization');
select is((select count(*)::int from organizations where signup_user_id = 'a1111111-1111-4111-8111-111111111111'), 1,
  'one workspace per signed-up user');
select throws_ok($$ insert into organization_members (organization_id, user_id, role)
                    select id, 'a1111111-1111-4111-8111-111111111111', 'admin' from organizations where slug = 'alice-tap' $$,
  '23505', null, 'one membership per user and organization');

insert into onboarding_invites (organization_id, email, expires_at)
  select id, 'owner@tap.test', now() + interval '1 day' from organizations where slug = 'alice-tap';
select throws_ok($$ insert into onboarding_invites (organization_id, email, expires_at)
                    select id, 'owner@tap.test', now() + interval '1 day' from organizations where slug = 'alice-tap' $$,
  '23505', null, 'one pending invite per address and organization');
update onboarding_invites set status = 'revoked', revoked_at = now() where email = 'owner@tap.test';
select lives_ok($$ insert into onboarding_invites (organization_id, email, expires_at)
                   select id, 'owner@tap.test', now() + interval '1 day' from organizations where slug = 'alice-tap' $$,
  'a revoked invite does not block a new one');

select * from finish();
rollback;
