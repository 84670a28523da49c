import { MemoryBlobStore } from '../../functions/adapters/memory-blob-store.js';
import { blobStoreContract } from '../helpers/blob-store-contract.js';

blobStoreContract('in-memory', () => new MemoryBlobStore());
