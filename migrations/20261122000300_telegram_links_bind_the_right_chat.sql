-- Telegram links that bind only the right chat (seed 003).
--
-- The success callback carries the start token Telegram's /start gave the bot. Only its
-- SHA-256 reaches the database (the function hashes it) and is compared with the stored
-- one: a timing difference in comparing two digests tells nothing about a token. It is
-- single use: once a chat is bound the token binds nothing else, but the same callback
-- replayed (same token, same chat) is answered as before. A wrong token, or one of another
-- onboarding, binds nothing and leaves a warning event.
--
-- Also: Make may report the link opened with no chat bound yet (`awaiting_chat`), and a
-- tenant's owners and admins may complete an onboarding by hand, with a reason.

alter table public.tenant_users add column if not exists bot_start_token_used_hash text
  check (bot_start_token_used_hash ~ '^[0-9a-f]{64}$');
alter table public.tenant_users drop constraint if exists tenant_users_bot_onboarding_status_check;
alter table public.tenant_users add constraint tenant_users_bot_onboarding_status_check
  check (bot_onboarding_status in ('pending', 'invite_sent', 'awaiting_chat', 'completed', 'failed'));

drop function if exists public.complete_user_onboarding(uuid, text, bigint, bigint);
create function public.complete_user_onboarding(
  p_correlation_id uuid, p_email text, p_chat_id bigint, p_start_token_hash text,
  p_telegram_user_id bigint default null
) returns jsonb
language plpgsql security definer set search_path = '' as $$
declare
  v_user public.tenant_users := private.callback_user(p_correlation_id, p_email);
  v_expected text;
begin
  v_expected := case when v_user.bot_onboarding_status = 'completed'
                     then v_user.bot_start_token_used_hash else v_user.bot_start_token_hash end;
  if v_expected is null or p_start_token_hash is distinct from v_expected then
    -- Refused without raising, so the warning stays: nothing else is written.
    perform private.onboarding_event(v_user, p_correlation_id, 'start_token_mismatch',
      jsonb_build_object('level', 'warning'));
    return jsonb_build_object('refused', 'start_token_mismatch');
  end if;
  if v_user.bot_onboarding_status = 'completed' then
    if v_user.telegram_chat_id = p_chat_id then
      return jsonb_build_object('status', 'completed', 'replay', true);
    end if;
    raise exception using message = 'already_completed';
  end if;
  update public.tenant_users
  set telegram_chat_id = p_chat_id, telegram_user_id = coalesce(p_telegram_user_id, telegram_user_id),
      bot_onboarding_status = 'completed', bot_onboarding_completed_at = now(), bot_onboarding_error = null,
      is_active = true, bot_start_token_used_hash = bot_start_token_hash, bot_start_token_hash = null
  where id = v_user.id returning * into v_user;
  perform private.notify_tenant(v_user, p_correlation_id, 'onboarding', 'Completed',
    format('%s connected Telegram and is now active', v_user.email), 'success');
  perform private.onboarding_event(v_user, p_correlation_id, 'completed', '{}');
  return jsonb_build_object('status', 'completed', 'replay', false);
end
$$;
revoke execute on function public.complete_user_onboarding(uuid, text, bigint, text, bigint) from public, anon, authenticated;
grant execute on function public.complete_user_onboarding(uuid, text, bigint, text, bigint) to service_role;

-- Make: the link was opened, no chat is bound yet. The timeout sweep still applies.
create or replace function public.mark_onboarding_awaiting_chat(p_correlation_id uuid) returns jsonb
language plpgsql security definer set search_path = '' as $$
declare
  v_user public.tenant_users := private.callback_user(p_correlation_id, null);
begin
  if v_user.bot_onboarding_status = 'awaiting_chat' then
    return jsonb_build_object('status', 'awaiting_chat', 'replay', true);
  elsif v_user.bot_onboarding_status not in ('pending', 'invite_sent') then
    raise exception using message = 'already_completed';
  end if;
  update public.tenant_users set bot_onboarding_status = 'awaiting_chat' where id = v_user.id returning * into v_user;
  perform private.notify_tenant(v_user, p_correlation_id, 'onboarding', 'Awaiting chat',
    format('%s opened the Telegram link; waiting for the chat', v_user.email), 'info');
  perform private.onboarding_event(v_user, p_correlation_id, 'awaiting_chat', '{}');
  return jsonb_build_object('status', 'awaiting_chat', 'replay', false);
end
$$;
revoke execute on function public.mark_onboarding_awaiting_chat(uuid) from public, anon, authenticated;
grant execute on function public.mark_onboarding_awaiting_chat(uuid) to service_role;

-- A tenant's owner or admin completes an onboarding by hand; who and why go on the timeline.
create or replace function public.force_complete_user_onboarding(p_user_id uuid, p_chat_id bigint, p_reason text)
returns jsonb
language plpgsql security definer set search_path = '' as $$
declare
  v_user public.tenant_users;
begin
  if p_chat_id is null or char_length(btrim(coalesce(p_reason, ''))) not between 1 and 500 then
    raise exception using errcode = '22023', message = 'invalid_arguments',
      detail = 'a chat id and a reason (1-500 characters) are required';
  end if;
  select * into v_user from public.tenant_users where id = p_user_id for update;
  if not found or not private.is_tenant_admin(v_user.tenant_id) then
    raise exception using errcode = '42501', message = 'not_tenant_admin';
  end if;
  if v_user.bot_onboarding_status = 'completed' then
    raise exception using message = 'already_completed';
  end if;
  update public.tenant_users
  set telegram_chat_id = p_chat_id, bot_onboarding_status = 'completed', bot_onboarding_completed_at = now(),
      bot_onboarding_error = null, is_active = true, bot_start_token_hash = null
  where id = v_user.id returning * into v_user;
  perform private.notify_tenant(v_user, v_user.bot_correlation_id, 'onboarding', 'Completed',
    format('%s was completed by hand', v_user.email), 'success');
  perform private.onboarding_event(v_user, v_user.bot_correlation_id, 'force_completed',
    jsonb_build_object('by', auth.uid(), 'reason', btrim(p_reason)));
  return jsonb_build_object('status', 'completed', 'forced', true);
end
$$;
revoke execute on function public.force_complete_user_onboarding(uuid, bigint, text) from public, anon;
grant execute on function public.force_complete_user_onboarding(uuid, bigint, text) to authenticated;

create or replace function public.sweep_onboarding_timeouts(p_older_than interval default interval '48 hours')
returns integer
language plpgsql security definer set search_path = '' as $$
declare
  v_user public.tenant_users;
  swept integer := 0;
begin
  for v_user in
    select * from public.tenant_users
    where bot_onboarding_status in ('pending', 'invite_sent', 'awaiting_chat') and bot_correlation_id is not null
      and bot_onboarding_requested_at < now() - p_older_than
    for update skip locked
  loop
    perform private.record_onboarding_failure(v_user, v_user.bot_correlation_id,
      format('timeout: no confirmation within %s', p_older_than), 'timeout');
    swept := swept + 1;
  end loop;
  return swept;
end
$$;
revoke execute on function public.sweep_onboarding_timeouts(interval) from public, anon, authenticated;
grant execute on function public.sweep_onboarding_timeouts(interval) to service_role;

-- An onboarding awaiting its chat is still in flight: a new request needs resend: true.
create or replace function public.request_user_onboarding(p_payload jsonb, p_start_token text, p_resend boolean default false)
returns jsonb
language plpgsql security definer set search_path = '' as $$
declare
  v_admin uuid := auth.uid();
  v_tenant_id uuid := (p_payload ->> 'tenant_id')::uuid;
  v_correlation_id uuid := (p_payload ->> 'correlation_id')::uuid;
  v_user public.tenant_users;
  v_message public.onboarding_outbox;
  v_previous uuid;
begin
  if v_admin is null or not private.is_tenant_admin(v_tenant_id) then
    raise exception using errcode = '42501', message = 'not_tenant_admin';
  end if;
  if (p_payload -> 'initiated_by' ->> 'id') is distinct from v_admin::text then
    raise exception using errcode = '42501', message = 'initiated_by_mismatch';
  end if;
  if p_start_token !~ '^[A-Za-z0-9_-]{16,64}$' then
    raise exception using errcode = '22023', message = 'invalid_start_token';
  end if;
  select * into v_user from public.tenant_users
  where id = (p_payload ->> 'user_id')::uuid and tenant_id = v_tenant_id
  for update;
  if not found then
    raise exception using errcode = '42501', message = 'user_not_in_tenant';
  end if;
  if v_user.email <> lower(p_payload ->> 'email') or v_user.user_role <> p_payload ->> 'user_role' then
    raise exception using message = 'user_mismatch';
  end if;
  -- The same request again (a client retry): the same answer, nothing written.
  if v_user.bot_correlation_id = v_correlation_id then
    return jsonb_build_object('correlation_id', v_correlation_id, 'replay', true);
  end if;
  if exists (select 1 from public.onboarding_outbox where correlation_id = v_correlation_id) then
    raise exception using message = 'correlation_id_used';
  end if;
  if v_user.bot_onboarding_status = 'completed' then
    raise exception using message = 'already_onboarded';
  end if;
  if v_user.bot_correlation_id is not null and v_user.bot_onboarding_status in ('pending', 'invite_sent', 'awaiting_chat') and not p_resend then
    raise exception using message = 'onboarding_in_flight';
  end if;

  v_previous := v_user.bot_correlation_id;
  if v_previous is not null then
    -- Resend: the previous correlation id is superseded; its message is never sent
    -- again and its late callbacks are refused.
    update public.onboarding_outbox set status = 'superseded', payload = payload - 'start_token', lease_until = null
    where correlation_id = v_previous and status = 'pending';
    perform private.onboarding_event(v_user, v_previous, 'superseded', jsonb_build_object('by', v_correlation_id));
  end if;

  update public.tenant_users
  set bot_onboarding_status = 'pending',
      bot_onboarding_started_at = coalesce(bot_onboarding_started_at, now()),
      bot_onboarding_requested_at = now(),
      bot_onboarding_completed_at = null,
      bot_onboarding_error = null,
      bot_onboarding_retry_count = bot_onboarding_retry_count + case when v_previous is null then 0 else 1 end,
      bot_correlation_id = v_correlation_id,
      bot_start_token_hash = encode(sha256(convert_to(p_start_token, 'UTF8')), 'hex')
  where id = v_user.id
  returning * into v_user;

  perform private.notify_tenant(v_user, v_correlation_id, 'onboarding', 'Queued',
    format('Onboarding started for %s', v_user.email), 'info', v_admin);
  perform private.onboarding_event(v_user, v_correlation_id,
    case when v_previous is null then 'requested' else 'resend_requested' end,
    jsonb_build_object('initiated_by', v_admin, 'retry_count', v_user.bot_onboarding_retry_count));

  -- Written leased to this request, which delivers it at once; if it cannot, the
  -- lease runs out and the dispatcher takes over.
  insert into public.onboarding_outbox (tenant_id, user_id, correlation_id, payload, attempts, lease_until)
  values (v_tenant_id, v_user.id, v_correlation_id, p_payload || jsonb_build_object('start_token', p_start_token),
          1, now() + interval '30 seconds')
  returning * into v_message;
  return private.outbox_message(v_message) || jsonb_build_object('replay', false);
end
$$;
revoke execute on function public.request_user_onboarding(jsonb, text, boolean) from public, anon;
grant execute on function public.request_user_onboarding(jsonb, text, boolean) to authenticated, service_role;
