import type { ConfigEdit } from '../test/support/processes.js';

/** Where the bench's nginx proxies with no auth at all: row 6 twin. The shipped config has none. */
export const OPEN_PATH = '/open/';

/**
 * The bench's copy of the shipped nginx.conf gains a location that proxies to the app exactly
 * as a protected one does (protect.conf's proxy settings) without asking anyone: the twin of
 * row 6. The shipped public location would not do: it still asks the sidecar.
 */
export const withOpenLocation: ConfigEdit = (file, text) => {
  if (file !== 'nginx.conf') return text;
  const anchor = '        location = /healthz {';
  if (!text.includes(anchor)) throw new Error(`nginx.conf has no "${anchor.trim()}" to put the bench's open location before`);
  const open = `        location ${OPEN_PATH} {
            proxy_set_header Host              $host;
            proxy_set_header X-Real-IP         $remote_addr;
            proxy_set_header X-Forwarded-For   $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_pass http://app;
        }

`;
  return text.replace(anchor, open + anchor);
};
