-- The signup naming rules, where they live (public.create_signup_workspace, which the
-- function and the reconcile job both call): the profile name from the metadata's
-- full_name, else name, else the email's local part, else "User" (whitespace and control
-- characters collapsed, at most 100 characters); the workspace "<name>'s Workspace"; the
-- slug lower-case ASCII letters and digits with single dashes, at most 40, from the
-- name, else the email, else "workspace", made unique.
begin;
create extension if not exists pgtap with schema extensions;
set local search_path = public, extensions;
select plan(10);

create function pg_temp.named(p_id text, p_email text, p_meta jsonb) returns text
language sql as $$
  insert into auth.users (id, email) values (p_id::uuid, p_email);
  select public.create_signup_workspace(p_id::uuid, p_email, p_meta) ->> 'organization_id';
  select p.full_name || ' | ' || o.name || ' | ' || o.slug
  from public.profiles p join public.organizations o on o.signup_user_id = p.id
  where p.id = p_id::uuid
$$;

select is(pg_temp.named('a0000000-0000-4000-8000-000000000001', 'john@names.tap', '{"full_name": "John Doe", "name": "Johnny"}'),
  'John Doe | John Doe''s Workspace | john-doe', 'full_name first');
select is(pg_temp.named('a0000000-0000-4000-8000-000000000002', null, jsonb_build_object('name', E'  Jane\t\n Q.\u00a0Public  ')),
  'Jane Q. Public | Jane Q. Public''s Workspace | jane-q-public', 'then name, whitespace collapsed');
select is(pg_temp.named('a0000000-0000-4000-8000-000000000003', 'sam.o''neil+tag@names.tap', '{"full_name": "   ", "name": 42}'),
  'sam.o''neil+tag | sam.o''neil+tag''s Workspace | sam-o-neil-tag', 'then the email''s local part');
select is(pg_temp.named('a0000000-0000-4000-8000-000000000004', null, '{}'),
  'User | User''s Workspace | user', 'else "User"');
select is(pg_temp.named('a0000000-0000-4000-8000-000000000005', 'li.lei@names.tap', '{"full_name": "李雷"}'),
  '李雷 | 李雷''s Workspace | li-lei', 'a name with no ASCII letters: the slug from the email');
select is(pg_temp.named('a0000000-0000-4000-8000-000000000006', null, '{"full_name": "李雷"}'),
  '李雷 | 李雷''s Workspace | workspace', 'and without an email: "workspace"');
select is(pg_temp.named('a0000000-0000-4000-8000-000000000007', null, jsonb_build_object('full_name', repeat('x', 150))),
  repeat('x', 100) || ' | ' || repeat('x', 100) || '''s Workspace | ' || repeat('x', 40), 'at most 100 and 40 characters');
select matches(pg_temp.named('a0000000-0000-4000-8000-000000000008', 'john2@names.tap', '{"full_name": "John Doe"}'),
  '^John Doe \| John Doe''s Workspace \| john-doe-[a-z0-9]{6}$', 'a taken slug gets a suffix');
select is((select count(*)::int from organizations o join auth.users u on u.id = o.signup_user_id where u.id::text like 'a0000000-0000-4000-8000-00000000000%'), 8,
  'one workspace per user');
select is(public.create_signup_workspace('a0000000-0000-4000-8000-000000000001', 'john@names.tap', '{"full_name": "Someone Else"}') ->> 'created',
  'false', 'again for the same user: nothing new');

select * from finish();
rollback;
