// Mounts GraphiQL on the page served at /graphiql (a file, not an inline script, so that the
// page's Content-Security-Policy can be `default-src 'self'`). React, ReactDOM and GraphiQL
// are the UMD globals of the scripts loaded before this one.
(function () {
  'use strict';
  var DEFAULT_QUERY = [
    '# PPAOS API',
    '#',
    '# Most fields need a signed-in account:',
    '# 1. run the Login mutation below with your login',
    '#    and password, and copy its accessToken;',
    '# 2. open the Headers tab (under this editor) and put',
    '#',
    '#      {"Authorization": "Bearer <accessToken>"}',
    '#',
    '# 3. run Me. Docs (top left) shows the whole schema.',
    '',
    'mutation Login {',
    '  login(input: {login: "admin", password: "your password"}) {',
    '    accessToken',
    '    expiresIn',
    '  }',
    '}',
    '',
    'query Me {',
    '  me {',
    '    id',
    '    login',
    '    displayName',
    '    role',
    '    areaScopes',
    '  }',
    '}',
    ''
  ].join('\n');

  var container = document.getElementById('graphiql');
  // GraphiQL's menus insert a <style> element (react-remove-scroll); it carries this nonce,
  // which the page's CSP allows (style-src 'nonce-…'), read through __webpack_nonce__.
  window.__webpack_nonce__ = container.getAttribute('data-style-nonce');
  var fetcher = GraphiQL.createFetcher({ url: container.getAttribute('data-endpoint') });
  ReactDOM.createRoot(container).render(
    React.createElement(GraphiQL, {
      fetcher: fetcher,
      defaultQuery: DEFAULT_QUERY,
      isHeadersEditorEnabled: true,
      defaultEditorToolsVisibility: 'headers',
      // Tokens stay out of localStorage.
      shouldPersistHeaders: false
    })
  );
})();
