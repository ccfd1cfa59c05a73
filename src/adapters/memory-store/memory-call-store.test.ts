import { callStoreContract } from './call-store-contract.js';
import { MemoryCallStore } from './memory-call-store.js';

callStoreContract('memory', () => {
  const store = new MemoryCallStore();
  return {
    store,
    dispose: () => {
      store.close();
    },
  };
});
