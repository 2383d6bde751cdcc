// Why this file exists: the screens before the library — first-run admin
// sign-up (when the server says it is not initialised), login (with the
// reason when a session expired), and the page shown when the server cannot
// be reached at all.

import { post, ApiError } from './api.js';
import { h } from './dom.js';

function card(title, ...body) {
  return h('section.auth-page', h('div.auth-card', h('div.brand', h('span.logo', 'K'), 'Keepsake'), h('h1', title), ...body));
}

/** Login. `notice` is shown above the form (e.g. "Your session expired"). */
export function loginPage({ notice, onLoggedIn }) {
  const email = h('input', { type: 'email', name: 'email', autocomplete: 'username', required: true, autofocus: true });
  const password = h('input', { type: 'password', name: 'password', autocomplete: 'current-password', required: true });
  const error = h('p.form-error', { role: 'alert', hidden: true });
  const submit = h('button.primary', { type: 'submit' }, 'Log in');
  const form = h('form', {
    onsubmit: async (e) => {
      e.preventDefault();
      error.hidden = true;
      submit.disabled = true;
      try {
        const r = await post('/auth/login', { email: email.value.trim(), password: password.value }, { quiet401: true });
        await onLoggedIn(r);
      } catch (err) {
        error.textContent = err instanceof ApiError && err.status === 401 ? 'Wrong email or password.' : err.message;
        error.hidden = false;
      } finally {
        submit.disabled = false;
      }
    },
  },
  notice ? h('p.notice', { role: 'status' }, notice) : null,
  h('label.field', h('span', 'Email'), email),
  h('label.field', h('span', 'Password'), password),
  error,
  submit);
  return { el: card('Log in', form) };
}

/** First run: create the admin account, then log in with it. */
export function signUpPage({ onSignedUp }) {
  const name = h('input', { type: 'text', name: 'name', autocomplete: 'name', required: true, autofocus: true });
  const email = h('input', { type: 'email', name: 'email', autocomplete: 'username', required: true });
  const password = h('input', { type: 'password', name: 'password', autocomplete: 'new-password', required: true, minlength: '8' });
  const confirm = h('input', { type: 'password', name: 'confirm', autocomplete: 'new-password', required: true });
  const error = h('p.form-error', { role: 'alert', hidden: true });
  const submit = h('button.primary', { type: 'submit' }, 'Create the admin account');
  const form = h('form', {
    onsubmit: async (e) => {
      e.preventDefault();
      error.hidden = true;
      if (password.value !== confirm.value) {
        error.textContent = 'The two passwords differ.';
        error.hidden = false;
        return;
      }
      submit.disabled = true;
      try {
        await post('/auth/admin-sign-up', { name: name.value.trim(), email: email.value.trim(), password: password.value });
        const r = await post('/auth/login', { email: email.value.trim(), password: password.value }, { quiet401: true });
        await onSignedUp(r);
      } catch (err) {
        error.textContent = err.message;
        error.hidden = false;
      } finally {
        submit.disabled = false;
      }
    },
  },
  h('p', 'Welcome! This server has no accounts yet. The first account administers it.'),
  h('label.field', h('span', 'Name'), name),
  h('label.field', h('span', 'Email'), email),
  h('label.field', h('span', 'Password'), password),
  h('label.field', h('span', 'Confirm password'), confirm),
  error,
  submit);
  return { el: card('Set up Keepsake', form) };
}

/** The server did not answer at all. */
export function offlinePage({ onRetry }) {
  return {
    el: card('Cannot reach the server',
      h('p', { role: 'alert' }, 'Keepsake did not answer. It may be stopped or restarting, or this device may be offline.'),
      h('p.muted', 'Your photos are safe on the server; nothing was lost.'),
      h('button.primary', { type: 'button', onclick: onRetry, autofocus: true }, 'Try again')),
  };
}
