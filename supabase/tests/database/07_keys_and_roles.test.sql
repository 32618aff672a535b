-- The database as a hosted project has it in 2026, and what the project keeps there:
-- `postgres` (which runs these tests and the migrations) is not a superuser and cannot
-- become Supabase Auth; new tables in `public` give the API roles nothing by default;
-- the keys the schedulers and the signup webhook present are readable by no API role.
begin;
create extension if not exists pgtap with schema extensions;
set local search_path = public, extensions;
select plan(12);

select ok(not (select rolsuper from pg_roles where rolname = current_user), 'the tests run as a role that is not a superuser');
select ok(not pg_has_role(current_user, 'supabase_auth_admin', 'member'), 'postgres is not a member of supabase_auth_admin');

create table public.tap_new_table (id int);
select ok(not has_table_privilege('anon', 'public.tap_new_table', 'select')
      and not has_table_privilege('authenticated', 'public.tap_new_table', 'select')
      and not has_table_privilege('service_role', 'public.tap_new_table', 'select'),
  'a new public table grants the API roles nothing');

select ok(not has_schema_privilege(r, 'cron', 'usage'), r || ' cannot reach cron.job, where the dispatchers'' key is')
  from unnest(array['anon', 'authenticated', 'service_role']) r;
select ok(not has_table_privilege(r, 'private.signup_webhook', 'select'), r || ' cannot read the signup webhook''s key')
  from unnest(array['anon', 'authenticated', 'service_role']) r;

select is(private.function_call_headers('sb_secret_abc') ->> 'apikey', 'sb_secret_abc',
  'a secret key is sent as apikey');
select is(private.function_call_headers('eyJ.legacy.jwt') ->> 'Authorization', 'Bearer eyJ.legacy.jwt',
  'a legacy service-role JWT (or a shared secret) is sent as a bearer token');
select throws_ok($$ select private.function_call_headers('sb_publishable_abc') $$, '22023', 'invalid_arguments',
  'a publishable key cannot be installed for a server-to-server call');

select * from finish();
rollback;
