import { MemoryCallStore } from '../../src/adapters/memory-store/memory-call-store.js';
import { callStoreContract } from './call-store.contract.js';

callStoreContract('memory', () => {
  const store = new MemoryCallStore();
  return { store, dispose: () => store.close() };
});
