export { TestPki, type IssuedCertificate } from './test-pki.js';
