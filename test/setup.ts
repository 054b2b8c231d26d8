// @peculiar/x509 needs reflect-metadata loaded before it (see NOTES.md).
import 'reflect-metadata';
