export {
  pushBundleImages,
  type PushBundleImagesOptions,
  type PushImagesResult,
  type PushedImage,
  type PushProgress,
} from './push-bundle-images.js';
export {
  pushChartOci,
  HELM_CHART_MEDIA_TYPE,
  HELM_CONFIG_MEDIA_TYPE,
  type PushChartOciOptions,
  type PushedChart,
} from './push-chart-oci.js';
export {
  bundlesToSync,
  syncBundles,
  type BundleSyncResult,
  type SyncInput,
  type SyncTransport,
} from './sync-bundles.js';
