export {
  GetOnlyServer,
  metricsRoute,
  sendJson,
  type GetOnlyServerOptions,
  type RouteHandler,
} from './get-only-server.js';
