/** `host:port` split at its last colon; an IPv6 host loses its brackets (`[::1]:7480` gives `::1`). */
export function splitHostPort(address: string): { readonly host: string; readonly port: number } {
  const at = address.lastIndexOf(':');
  const host = address.slice(0, at);
  const port = Number(address.slice(at + 1));
  if (at < 0 || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new TypeError(`${JSON.stringify(address)} is not host:port`);
  }
  return { host: host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host, port };
}
