// Entry of the script-tag build (global `Playhead`): the public API, plus
// auto-init from the attributes of the <script> tag that loaded it.
import { init } from './lib/api';
import { attempt } from './lib/safe';
import { scriptOptions } from './lib/script';

export * from './index';

attempt(() => {
  const options = scriptOptions(document.currentScript);
  if (options) init(options);
});
