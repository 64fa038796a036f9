"""gezi.reports"""
