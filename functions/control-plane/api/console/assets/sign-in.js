// Console sign-in with the deployment's identity provider (OIDC authorization code + PKCE, S256), when
// /v1/auth/config names one. The console is a public client: no secret; the code verifier never leaves
// this tab (sessionStorage) except to the identity provider's token endpoint.
const PKCE_KEY = 'upgrade-cp-pkce';

const b64url = (bytes) =>
  btoa(String.fromCharCode(...new Uint8Array(bytes)))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '');
const random = (n) => b64url(crypto.getRandomValues(new Uint8Array(n)));
const redirectUri = () => `${location.origin}${location.pathname}`;

/** `{ issuer, clientId, authorizationEndpoint, tokenEndpoint, scope }`, or null without OIDC. */
export async function signInConfig() {
  const res = await fetch('/v1/auth/config');
  if (!res.ok) return null;
  return (await res.json()).oidc ?? null;
}

/** Leaves for the identity provider's sign-in page. */
export async function startSignIn(oidc) {
  const verifier = random(32);
  const challenge = b64url(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier)));
  const state = random(16);
  sessionStorage.setItem(PKCE_KEY, JSON.stringify({ verifier, state }));
  const url = new URL(oidc.authorizationEndpoint);
  url.search = new URLSearchParams({ response_type: 'code', client_id: oidc.clientId, redirect_uri: redirectUri(), scope: oidc.scope, code_challenge: challenge, code_challenge_method: 'S256', state }).toString();
  location.assign(url.toString());
}

/** Back from the identity provider (`?code&state`): the bearer token for /v1, or null when this is no sign-in answer. */
export async function completeSignIn(oidc) {
  const params = new URLSearchParams(location.search);
  if (!params.has('code') && !params.has('error')) return null;
  const saved = JSON.parse(sessionStorage.getItem(PKCE_KEY) || 'null');
  sessionStorage.removeItem(PKCE_KEY);
  // The code is single-use: take it out of the address bar and history.
  history.replaceState(null, '', `${redirectUri()}${location.hash}`);
  if (params.has('error')) throw new Error(`sign-in failed: ${params.get('error_description') || params.get('error')}`);
  if (!saved || saved.state !== params.get('state')) throw new Error('sign-in failed: the answer does not belong to this sign-in (state mismatch); sign in again');
  const res = await fetch(oidc.tokenEndpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'authorization_code', client_id: oidc.clientId, code: params.get('code'), redirect_uri: redirectUri(), code_verifier: saved.verifier }),
  });
  const data = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(`sign-in failed: ${data.error_description || data.error || res.statusText}`);
  // The API verifies access tokens (Cognito) or ID tokens whose audience is the client.
  const jwt = (t) => typeof t === 'string' && t.split('.').length === 3;
  const token = jwt(data.access_token) ? data.access_token : data.id_token;
  if (!jwt(token)) throw new Error('sign-in failed: the identity provider returned no token');
  return token;
}
