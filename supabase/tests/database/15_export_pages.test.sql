-- Export pages (issue 33): each section is read a page at a time through its key, every
-- row exactly once across the pages, in the order of the keys; webhook deliveries across
-- several endpoints too. A cursor that no page answered is refused with a stable code.
begin;
create extension if not exists pgtap with schema extensions;
set local search_path = public, extensions;
select plan(8);

insert into auth.users (id, email, email_confirmed_at) values
  ('a1111111-1111-4111-8111-1111111111e1', 'owner@export-pages.tap', now());
select public.create_signup_org('a1111111-1111-4111-8111-1111111111e1', 'owner@export-pages.tap', 'Owner', 'Export pages', 'export-pages-tap');
create temp table org as select id from organizations where slug = 'export-pages-tap';
grant select on org to authenticated;
-- Seven more members (eight with the owner), five tenant users, three custom roles, and two
-- webhook endpoints whose deliveries interleave (three each).
insert into auth.users (id, email, email_confirmed_at)
select ('c0000000-0000-4000-8000-00000000000' || n)::uuid, 'member' || n || '@export-pages.tap', now() from generate_series(1, 7) n;
insert into organization_members (organization_id, user_id, role)
select (select id from org), ('c0000000-0000-4000-8000-00000000000' || n)::uuid, 'viewer' from generate_series(1, 7) n;
insert into tenant_users (tenant_id, user_role, email)
select (select id from org), 'executor', 'exec' || n || '@export-pages.tap' from generate_series(1, 5) n;
insert into organization_roles (organization_id, key, name, permissions)
select (select id from org), key, initcap(key), '{org:members:read}' from unnest(array['support', 'auditor', 'billing-clerk']) key;
insert into webhook_endpoints (id, organization_id, url) values
  ('e0000000-0000-4000-8000-000000000001', (select id from org), 'https://hooks.example.com/one'),
  ('e0000000-0000-4000-8000-000000000002', (select id from org), 'https://hooks.example.com/two');
insert into webhook_messages (id, organization_id, event_type, payload)
values ('msg_export_pages', (select id from org), 'member.added', '{}');
insert into webhook_deliveries (message_id, endpoint_id, attempt, status_code)
select 'msg_export_pages', ('e0000000-0000-4000-8000-00000000000' || (1 + n % 2))::uuid, n, 500 from generate_series(1, 6) n;

-- Every row of a section, read `p_size` at a time: the rows in the order answered, and the
-- number of pages it took.
create function pg_temp.every_page(p_section text, p_size integer, out rows jsonb, out pages integer)
language plpgsql as $$
declare
  v_page jsonb;
  v_after text;
begin
  rows := '[]';
  pages := 0;
  loop
    v_page := export_organization_page((select id from org), p_section, v_after, p_size);
    rows := rows || (v_page -> 'rows');
    pages := pages + 1;
    v_after := v_page ->> 'next';
    exit when v_after is null or pages > 100;
  end loop;
end
$$;

-- What the members section holds, read as the superuser.
create temp table expected_members as
select jsonb_agg(jsonb_build_object('user_id', m.user_id, 'email', u.email, 'full_name', pr.full_name,
         'role', m.role, 'joined_at', m.created_at) order by m.user_id) as rows
from organization_members m join auth.users u on u.id = m.user_id left join profiles pr on pr.id = m.user_id
where m.organization_id = (select id from org);
grant select on expected_members to authenticated;

select tests.authenticate_as('a1111111-1111-4111-8111-1111111111e1');
select is((select (p.rows, p.pages)::text from pg_temp.every_page('members', 3) p),
  (select (rows, 3)::text from expected_members),
  'members: eight in pages of three, each once, in the order of their ids');
select is((select jsonb_agg(r ->> 'email' order by r ->> 'email') from pg_temp.every_page('tenant_users', 2) p, jsonb_array_elements(p.rows) r),
  (select jsonb_agg('exec' || n || '@export-pages.tap' order by 'exec' || n || '@export-pages.tap') from generate_series(1, 5) n),
  'tenant users: five in pages of two, each once');
select is((select jsonb_agg(r ->> 'key') from pg_temp.every_page('roles', 2) p, jsonb_array_elements(p.rows) r),
  '["auditor", "billing-clerk", "support"]', 'roles: by key, in pages of two');
select is((select jsonb_agg(jsonb_build_array(r ->> 'endpoint_id', (r ->> 'attempt')::int)) from pg_temp.every_page('webhook_deliveries', 2) p, jsonb_array_elements(p.rows) r),
  '[["e0000000-0000-4000-8000-000000000001", 2], ["e0000000-0000-4000-8000-000000000001", 4], ["e0000000-0000-4000-8000-000000000001", 6],
    ["e0000000-0000-4000-8000-000000000002", 1], ["e0000000-0000-4000-8000-000000000002", 3], ["e0000000-0000-4000-8000-000000000002", 5]]',
  'webhook deliveries: endpoint by endpoint, each in the order it happened, across pages');
select is((select (p.pages, jsonb_array_length(p.rows)) from pg_temp.every_page('audit_log', 1) p),
  (select (count(*)::int + 1, count(*)::int) from organization_audit_log where organization_id = (select id from org)),
  'the audit log: one row a page, and an empty last page when the last full one ends the section');
select is((select jsonb_agg((r ->> 'id')::bigint) = jsonb_agg((r ->> 'id')::bigint order by (r ->> 'id')::bigint)
           from pg_temp.every_page('audit_log', 2) p, jsonb_array_elements(p.rows) r), true,
  'the audit log in the order it was written');
select throws_ok($$ select export_organization_page((select id from org), 'members', 'not-a-cursor', 3) $$,
  '22023', 'invalid_arguments', 'a cursor no page answered is refused');
select throws_ok($$ select export_organization_page((select id from org), 'webhook_deliveries', 'x:y', 3) $$,
  '22023', 'invalid_arguments', 'so is a malformed delivery cursor');
reset role;

select * from finish();
rollback;
