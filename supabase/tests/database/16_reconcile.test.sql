-- The reconcile job looks at the signups still waiting for a workspace (issue 33): every new
-- user is noted when Auth inserts it, forgotten once its profile exists, and one whose
-- webhook was lost is repaired once it is older than the window.
begin;
create extension if not exists pgtap with schema extensions;
set local search_path = public, extensions;
select plan(5);

-- Backdated by years: the oldest waiting signups, so a run's limit of 500 reaches them
-- whatever else the stack's other tests left waiting.
insert into auth.users (id, email, raw_user_meta_data, created_at) values
  ('d1111111-1111-4111-8111-1111111111f1', 'served@reconcile.tap', '{"full_name": "Served"}', now() - interval '10 years'),
  ('d2222222-2222-4222-8222-2222222222f2', 'lost@reconcile.tap', '{"full_name": "Lost"}', now() - interval '10 years'),
  ('d3333333-3333-4333-8333-3333333333f3', 'young@reconcile.tap', '{"full_name": "Young"}', now());
select is((select count(*)::int from private.signups_awaiting_workspace
           where user_id in ('d1111111-1111-4111-8111-1111111111f1', 'd2222222-2222-4222-8222-2222222222f2',
                             'd3333333-3333-4333-8333-3333333333f3')), 3,
  'each new user is noted for the reconcile job');

-- The first one's webhook came; the second one's was lost.
select public.create_signup_workspace('d1111111-1111-4111-8111-1111111111f1', 'served@reconcile.tap', '{"full_name": "Served"}');
select is(public.reconcile_signups() >= 1, true, 'a run repairs what is missing');
select is((select count(*)::int from organizations where signup_user_id = 'd2222222-2222-4222-8222-2222222222f2'), 1,
  'the lost signup has its workspace');
select is((select array_agg(user_id order by user_id) from private.signups_awaiting_workspace
           where user_id in ('d1111111-1111-4111-8111-1111111111f1', 'd2222222-2222-4222-8222-2222222222f2',
                             'd3333333-3333-4333-8333-3333333333f3')),
  array['d3333333-3333-4333-8333-3333333333f3'::uuid],
  'the served and the repaired are forgotten; the young one is left to its webhook');
select is((select count(*)::int from organizations where signup_user_id = 'd3333333-3333-4333-8333-3333333333f3'), 0,
  'nothing is made for a user younger than the window');

select * from finish();
rollback;
