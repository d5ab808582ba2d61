/** Reply checks and small SMTP steps shared by the access tests (from the testkit). */
export { authPlain as plain, expectCommand as command, expectReply, sendSmallMessage as sendData, tryRecipient } from '@posthorn/testkit';
