/**
 * Request headers app frameworks read as the request's host, path or prefix, all of them
 * client-settable: `X-Forwarded-Host` and `Forwarded: host=` (Express with trust proxy,
 * Django USE_X_FORWARDED_HOST, Spring's ForwardedHeaderFilter, Rails), `X-Original-URL` and
 * `X-Rewrite-URL` (IIS URL Rewrite, old Symfony and Zend), `X-Forwarded-Prefix` (Spring,
 * Traefik's StripPrefix), `X-Original-URI` and `X-Forwarded-Uri` (gateway-internal, read by
 * some apps). A client's copy reaching the app lets the app route the request elsewhere than
 * the sidecar judged it, so every shipped gateway config sets them from what was judged or
 * removes them, and an ext_authz allow names them for Envoy to remove.
 */
export const ROUTING_HEADERS = [
  'forwarded',
  'x-forwarded-host',
  'x-forwarded-prefix',
  'x-forwarded-uri',
  'x-original-url',
  'x-original-uri',
  'x-rewrite-url',
] as const;
