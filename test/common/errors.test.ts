/** errorMessage: what reaches logs and exit messages, in particular for client-node's ApiException. */
import { expect } from 'chai';
import { ApiException } from '@kubernetes/client-node';
import { errorMessage } from '../../common/errors.js';

describe('common: errorMessage', () => {
  it('passes plain errors and thrown values through', () => {
    expect(errorMessage(new Error('boom'))).to.equal('boom');
    expect(errorMessage('text')).to.equal('text');
  });

  it('shortens an ApiException to the status and the Status message, without headers', () => {
    const headers = { date: 'Mon, 23 Nov 2026 09:13:04 GMT', 'content-type': 'application/json' };
    const forbidden = new ApiException(403, 'Forbidden', { kind: 'Status', message: 'configmaps "x" is forbidden: User "sa" cannot update' }, headers);
    expect(errorMessage(forbidden)).to.equal('kube-apiserver answered HTTP 403 Forbidden: configmaps "x" is forbidden: User "sa" cannot update');
    expect(errorMessage(new ApiException(401, 'Unauthorized', undefined, headers))).to.equal('kube-apiserver answered HTTP 401 Unauthorized');
    expect(errorMessage(new ApiException(404, 'Not Found', '{"kind":"Status","message":"the server could not find the requested resource"}', headers))).to.equal(
      'kube-apiserver answered HTTP 404 Not Found: the server could not find the requested resource',
    );
    expect(errorMessage(new ApiException(503, 'x', 'upstream connect error', headers))).to.equal('kube-apiserver answered HTTP 503 Service Unavailable: upstream connect error');
    expect(errorMessage(new ApiException(401, 'x', undefined, headers))).not.to.include('date');
  });
});
