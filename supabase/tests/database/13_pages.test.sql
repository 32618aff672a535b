-- Lists page (issue 33): list_members answers a page at a time in a stable order, every
-- member exactly once across the pages; or the members asked for by id. And the policies
-- still keep each organization to its own (the arrays they compare with).
begin;
create extension if not exists pgtap with schema extensions;
set local search_path = public, extensions;
select plan(8);

insert into auth.users (id, email, email_confirmed_at) values
  ('a1111111-1111-4111-8111-1111111111d1', 'owner@pages.tap', now()),
  ('a2222222-2222-4222-8222-2222222222d2', 'other@pages.tap', now());
select public.create_signup_org('a1111111-1111-4111-8111-1111111111d1', 'owner@pages.tap', 'Owner', 'Pages', 'pages-tap');
select public.create_signup_org('a2222222-2222-4222-8222-2222222222d2', 'other@pages.tap', 'Other', 'Other', 'other-pages-tap');
create temp table org as select id from organizations where slug = 'pages-tap';
-- Seven more members, two admins and five viewers, joined in this order.
insert into auth.users (id, email, email_confirmed_at)
select ('b0000000-0000-4000-8000-00000000000' || n)::uuid, 'member' || n || '@pages.tap', now() from generate_series(1, 7) n;
insert into organization_members (organization_id, user_id, role, created_at)
select (select id from org), ('b0000000-0000-4000-8000-00000000000' || n)::uuid,
       case when n <= 2 then 'admin' else 'viewer' end, now() + make_interval(secs => n)
from generate_series(1, 7) n;
grant select on org to authenticated;

select tests.authenticate_as('a1111111-1111-4111-8111-1111111111d1');
-- Each page's members in the order answered; the next page starts after the last one's cursor.
create temp table pages (n integer, pos bigint, member jsonb);
grant all on pages to authenticated;
insert into pages select 1, pos, m from jsonb_array_elements(list_members((select id from org), null, 3)) with ordinality e(m, pos);
insert into pages select 2, pos, m from jsonb_array_elements(list_members((select id from org),
  (select member ->> 'cursor' from pages where n = 1 order by pos desc limit 1), 3)) with ordinality e(m, pos);
select is((select count(*)::int from pages where n = 1), 3, 'a page holds at most p_limit members');
select is(
  (select array_agg(member ->> 'email' order by n, pos) from pages),
  array['owner@pages.tap', 'member1@pages.tap', 'member2@pages.tap', 'member3@pages.tap', 'member4@pages.tap', 'member5@pages.tap'],
  'highest role first, then by when they joined, the second page after the first');
select is(jsonb_array_length(list_members((select id from org),
  (select member ->> 'cursor' from pages where n = 2 order by pos desc limit 1), 3)), 2,
  'the last page holds the rest');
select is(jsonb_array_length(list_members((select id from org))), 8, 'the default page holds up to 100');
select is((select array_agg(m ->> 'email' order by m ->> 'email') from jsonb_array_elements(list_members((select id from org), null, 100,
  array['b0000000-0000-4000-8000-000000000006'::uuid, 'a2222222-2222-4222-8222-2222222222d2'::uuid])) m),
  array['member6@pages.tap'], 'by id: the members asked for, and nobody of another organization');
select throws_ok($$ select list_members((select id from org), null, 0) $$, '22023', 'invalid_arguments', 'a page of 0 is refused');
select throws_ok($$ select list_members((select id from org), null, 1001) $$, '22023', 'invalid_arguments', 'so is one over 1,000');
select is((select count(*)::int from organizations where slug like '%pages-tap'), 1,
  'the policies'' arrays keep each organization to its own');
reset role;

select * from finish();
rollback;
