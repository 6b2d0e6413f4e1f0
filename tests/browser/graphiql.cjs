// Drives headless Chromium against a running server's /graphiql (see graphiql.sh):
// the page must render GraphiQL, load the schema by introspection from /graphql, open the
// documentation explorer on it, show the Headers tab, and do all of that without any request
// leaving the server's origin, without CSP refusals and without script errors; then, with
// GRAPHIQL_TEST_LOGIN/PASSWORD, sign in through it and run `me` with the token in the
// Headers tab.
//
//   node graphiql.cjs http://127.0.0.1:PORT/graphiql SCREENSHOT.png USER_DATA_DIR
'use strict';
const { chromium } = require('playwright-core');

const [url, screenshot, userDataDir] = process.argv.slice(2);
const origin = new URL(url).origin;
const failures = [];
const fail = (msg) => failures.push(msg);

(async () => {
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    viewport: { width: 1400, height: 900 },
    args: [
      '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
      // As on a machine without internet: every host name but the server's fails to resolve.
      '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1',
    ],
  });
  try {
    const page = context.pages()[0] || (await context.newPage());
    page.on('console', (m) => {
      const text = m.text();
      const at = m.location() ? ` (at ${m.location().url}:${m.location().lineNumber})` : '';
      if (/Content Security Policy|Refused to/i.test(text)) fail(`CSP: ${text.slice(0, 160)}${at}`);
      else if (m.type() === 'error') fail(`console error: ${text}${at}`);
      else if (m.type() === 'warning') console.log(`console warning: ${text}`);
    });
    page.on('pageerror', (e) => fail(`script error: ${e.message}`));
    page.on('request', (r) => {
      const u = new URL(r.url());
      if (u.protocol !== 'data:' && u.origin !== origin) fail(`request to another origin: ${r.url()}`);
    });
    page.on('requestfailed', (r) => fail(`request failed: ${r.url()} (${r.failure()?.errorText})`));
    page.on('response', (r) => {
      if (r.status() >= 400 && !r.url().endsWith('.map')) fail(`HTTP ${r.status()}: ${r.url()}`);
    });

    const introspection = page.waitForResponse(
      (r) => r.url() === `${origin}/graphql` && r.request().method() === 'POST' &&
        (r.request().postData() || '').includes('__schema'),
      { timeout: 30000 },
    );
    const res = await page.goto(url, { waitUntil: 'load', timeout: 30000 });
    const csp = res.headers()['content-security-policy'] || '';
    if (!csp.startsWith("default-src 'self'")) fail(`the page's CSP is '${csp}'`);

    const answer = await introspection;
    const body = await answer.json().catch(() => null);
    if (answer.status() !== 200 || !body?.data?.__schema) {
      fail(`introspection answered HTTP ${answer.status()}: ${JSON.stringify(body).slice(0, 400)}`);
    } else {
      console.log(`introspection: HTTP 200, ${body.data.__schema.types.length} types`);
    }

    await page.waitForSelector('.graphiql-container', { timeout: 20000 });
    const headersTab = page.locator('.graphiql-editor-tools button[data-name="headers"]');
    if (!/\bactive\b/.test((await headersTab.getAttribute('class', { timeout: 5000 })) || '')) {
      fail('the Headers tab is not open');
    }
    const editorText = await page.locator('.graphiql-query-editor').innerText();
    if (!editorText.includes('"Authorization": "Bearer <accessToken>"')) {
      fail('the default document does not explain the Authorization header');
    }

    const queryType = body?.data?.__schema?.queryType?.name || 'Query';
    const mutationType = body?.data?.__schema?.mutationType?.name || 'Mutation';
    await page.getByRole('button', { name: /Show Documentation Explorer/i }).click();
    const docs = page.locator('.graphiql-doc-explorer');
    await docs.getByText(queryType, { exact: true }).first().waitFor({ timeout: 20000 });
    const docsText = await docs.innerText();
    if (!docsText.includes(`query: ${queryType}`) || !docsText.includes(`mutation: ${mutationType}`)) {
      fail(`the documentation explorer shows no root types: ${docsText.slice(0, 300)}`);
    }
    // One step into the schema: the query type's fields, from the introspection result.
    await docs.getByText(queryType, { exact: true }).first().click();
    await docs.getByText('households', { exact: true }).first().waitFor({ timeout: 10000 });
    console.log(`documentation explorer: ${queryType} with its fields (households, …)`);

    // As a user: sign in with the login mutation, put the token in the Headers tab, run `me`.
    const login = process.env.GRAPHIQL_TEST_LOGIN;
    if (login) {
      const password = process.env.GRAPHIQL_TEST_PASSWORD;
      const editor = (selector, value) =>
        page.evaluate(([sel, val]) => document.querySelector(sel).CodeMirror.setValue(val), [selector, value]);
      // With two operations in the editor, the run button opens a menu to pick one.
      const run = async (operation, expect) => {
        await page.getByRole('button', { name: /Execute query/i }).click();
        await page.getByRole('menuitem', { name: operation }).click({ timeout: 10000 });
        const response = page.locator('.result-window .CodeMirror');
        await response.getByText(expect).first().waitFor({ timeout: 20000 });
        return page.evaluate(() => document.querySelector('.result-window .CodeMirror').CodeMirror.getValue());
      };
      await editor('.graphiql-query-editor .CodeMirror', [
        `mutation Login { login(input: {login: ${JSON.stringify(login)}, password: ${JSON.stringify(password)}}) { accessToken } }`,
        'query Me { me { login role } }',
      ].join('\n'));
      const token = JSON.parse(await run('Login', 'accessToken')).data.login.accessToken;
      await editor('.graphiql-editor-tool .graphiql-editor:not(.hidden) .CodeMirror', JSON.stringify({ Authorization: `Bearer ${token}` }));
      const me = JSON.parse(await run('Me', 'role')).data?.me;
      if (me?.login !== login) fail(`me after signing in in GraphiQL: ${JSON.stringify(me)}`);
      else console.log(`signed in through GraphiQL: me = ${JSON.stringify(me)}`);
    }

    await page.screenshot({ path: screenshot });
    console.log(`screenshot: ${screenshot}`);
  } catch (e) {
    fail(`${e.name}: ${e.message.split('\n')[0]}`);
    try {
      await context.pages()[0]?.screenshot({ path: screenshot });
      console.log(`screenshot (at the failure): ${screenshot}`);
    } catch (_) { /* nothing to show */ }
  } finally {
    await context.close();
  }
  if (failures.length) {
    console.error('GraphiQL browser check FAILED:\n  ' + failures.join('\n  '));
    process.exit(1);
  }
  console.log('GraphiQL browser check passed');
})();
