import { MemoryBlobStore } from '../../functions/platform/adapters/memory-blob-store.js';
import { blobStoreContract } from '../helpers/blob-store-contract.js';

blobStoreContract('in-memory', () => new MemoryBlobStore());
