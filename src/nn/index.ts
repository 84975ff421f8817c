export { Module } from './module';
